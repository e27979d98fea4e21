use super::*;

fn fixed() -> impl FnMut() -> u32 {
    let mut n = 0u32;
    move || {
        n = n.wrapping_add(7);
        n
    }
}

/// The transform of `subject` through `src` → `dest` (panics when either is refused).
fn tr(src: &str, dest: &str, subject: &str) -> String {
    let t = Transform::new(src, dest, false).expect("valid").expect("not empty");
    let out = t.transform(subject.as_bytes(), &mut fixed()).expect("matches");
    String::from_utf8(out).unwrap()
}

/// The error text of building `src` → `dest`.
fn error(src: &str, dest: &str) -> String {
    Transform::new(src, dest, false).expect_err("refused").to_string()
}

fn strict_error(src: &str, dest: &str) -> String {
    Transform::new(src, dest, true).expect_err("refused").to_string()
}

#[test]
fn literal_and_numbered_wildcards() {
    assert_eq!(tr("foo", "bar", "foo"), "bar");
    assert_eq!(tr("foo.*", "bar.$1", "foo.x"), "bar.x");
    assert_eq!(tr("a.*.b.*", "c.$2.$1", "a.1.b.2"), "c.2.1");
    assert_eq!(tr("a.*.*", "b.{{wildcard(2)}}.{{ Wildcard( 1 ) }}", "a.x.y"), "b.y.x");
    // Not every wildcard needs to be used outside strict mode.
    assert_eq!(tr("a.*.*", "b.$2", "a.x.y"), "b.y");
    // A `$` token that is not a number is a literal.
    assert_eq!(tr("a.*", "$foo.$1", "a.x"), "$foo.x");
}

#[test]
fn full_wildcard_takes_the_rest() {
    assert_eq!(tr("x.>", "y.>", "x.1.2.3"), "y.1.2.3");
    assert_eq!(tr("x.*.>", "y.$1.>", "x.1.2.3"), "y.1.2.3");
    assert_eq!(tr(">", "pre.>", "a.b"), "pre.a.b");
    assert_eq!(tr("", "pre.>", "a.b"), "pre.a.b");
    assert_eq!(tr(">", ">", "a.b"), "a.b");
}

#[test]
fn does_not_match_outside_the_source() {
    let t = Transform::new("foo.*", "bar.$1", false).unwrap().unwrap();
    assert_eq!(t.transform(b"foo", &mut fixed()), None);
    assert_eq!(t.transform(b"foo.a.b", &mut fixed()), None);
    assert_eq!(t.transform(b"foo..", &mut fixed()), None);
    assert_eq!(t.transform(b"bar.a", &mut fixed()), None);
}

/// Values seen from nats-server 2.12.15 (publish to the mapping, read the subject delivered).
#[test]
fn partition_hashes_as_nats_server() {
    assert_eq!(tr("p.*.*", "out.{{partition(10,1,2)}}.$1.$2", "p.a.b"), "out.6.a.b");
    assert_eq!(tr("p.*.*", "out.{{partition(10,1,2)}}.$1.$2", "p.foo.bar"), "out.0.foo.bar");
    assert_eq!(tr("p.*.*", "out.{{partition(10,1,2)}}.$1.$2", "p.1.2"), "out.0.1.2");
    assert_eq!(tr("q", "qout.{{partition(10)}}", "q"), "qout.4");
    assert_eq!(tr("r.*", "rout.{{partition(7)}}.$1", "r.a"), "rout.6.a");
    assert_eq!(tr("r.*", "rout.{{partition(7)}}.$1", "r.hello"), "rout.2.hello");
    assert_eq!(tr("r.*", "rout.{{partition(0)}}", "r.hello"), "rout.0");
    // A literal source hashes the whole subject even when token positions are given.
    assert_eq!(tr("q", "qout.{{partition(10,1)}}", "q"), "qout.4");
}

#[test]
fn fnv1a_32_reference_values() {
    let hash = |b: &[u8]| {
        let mut h = Fnv1a32::new();
        h.write(b);
        h.finish()
    };
    assert_eq!(hash(b""), 0x811c_9dc5);
    assert_eq!(hash(b"a"), 0xe40c_292c);
    assert_eq!(hash(b"foobar"), 0xbf9c_f968);
}

#[test]
fn split_and_slice_functions() {
    assert_eq!(tr("s.*", "sout.{{split(1,-)}}", "s.a-b--c-"), "sout.a.b.c");
    assert_eq!(tr("s.*", "sout.{{split(1,-)}}", "s.-x-y"), "sout.x.y");
    assert_eq!(tr("s.*", "sout.{{split(1,-)}}", "s.abc"), "sout.abc");
    assert_eq!(tr("s.*", "sout.{{split(1,ab)}}", "s.xabyabz"), "sout.x.y.z");
    assert_eq!(
        tr(
            "sl.*",
            "slout.{{SliceFromLeft(1,3)}}.{{sliceFromRight(1,3)}}.{{splitFromLeft(1,2)}}.{{splitFromRight(1,2)}}",
            "sl.abcdefg"
        ),
        "slout.abc.def.g.a.bcd.efg.ab.cdefg.abcde.fg"
    );
    assert_eq!(tr("a.*", "{{sliceFromLeft(1,3)}}", "a.abcdef"), "abc.def");
    assert_eq!(tr("a.*", "{{sliceFromRight(1,3)}}", "a.abcdef"), "abc.def");
    // Too short to split or slice: the token as is.
    assert_eq!(tr("a.*", "{{splitFromLeft(1,5)}}", "a.abc"), "abc");
    assert_eq!(tr("a.*", "{{splitFromRight(1,0)}}", "a.abc"), "abc");
    assert_eq!(tr("a.*", "{{sliceFromLeft(1,3)}}", "a.abc"), "abc");
    assert_eq!(tr("a.*", "{{sliceFromRight(1,-1)}}", "a.abc"), "abc");
}

#[test]
fn left_and_right() {
    assert_eq!(tr("a.*", "{{left(1,2)}}.{{right(1,2)}}", "a.abcde"), "ab.de");
    assert_eq!(tr("a.*", "{{left(1,9)}}.{{right(1,0)}}", "a.abc"), "abc.abc");
}

#[test]
fn random_is_below_its_bound() {
    let t = Transform::new("a.*", "r.{{random(5)}}", false).unwrap().unwrap();
    let mut rnd = fixed();
    for _ in 0..50 {
        let out = t.transform(b"a.x", &mut rnd).unwrap();
        let n: u32 = std::str::from_utf8(&out[2..]).unwrap().parse().unwrap();
        assert!(n < 5);
    }
    assert_eq!(tr("a", "r.{{random(0)}}", "a"), "r.0");
}

#[test]
fn wildcard_errors() {
    assert_eq!(
        error("l.*", "x.{{wildcard(2)}}"),
        "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]"
    );
    assert_eq!(error("l.*", "x.$2"), "invalid mapping destination: wildcard index out of range in $2: [2]");
    assert_eq!(error("l", "x.$1"), "invalid mapping destination: wildcard index out of range in $1");
    assert_eq!(
        error("l", "x.{{split(1,-)}}"),
        "invalid mapping destination: wildcard index out of range in {{split(1,-)}}"
    );
    assert_eq!(
        error("l.*", "x.{{wildcard()}}"),
        "invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}"
    );
    assert_eq!(
        error("l.*", "x.{{wildcard(1,2)}}"),
        "invalid mapping destination: too many arguments passed to the function in {{wildcard(1,2)}}"
    );
    assert_eq!(
        error("l.*", "x.{{wildcard(a)}}"),
        "invalid mapping destination: function argument is invalid or in the wrong format in {{wildcard(a)}}"
    );
}

#[test]
fn subject_shape_errors() {
    assert_eq!(error("l.*", "x.*"), "invalid subject");
    assert_eq!(error("l.>", "x.$1"), "invalid subject");
    assert_eq!(error("l.*", "x.>"), "invalid subject");
    assert_eq!(error("l..", "x"), "invalid subject");
    assert_eq!(error("l.*", "x..y"), "invalid subject");
    assert!(Transform::new("l", "", false).unwrap().is_none());
}

#[test]
fn function_argument_errors() {
    let invalid = "invalid mapping destination: function argument is invalid or in the wrong format in ";
    let not_enough = "invalid mapping destination: not enough arguments passed to the function in ";
    let too_many = "invalid mapping destination: too many arguments passed to the function in ";
    assert_eq!(error("l.*", "{{partition(a)}}"), format!("{invalid}{{{{partition(a)}}}}"));
    assert_eq!(error("l.*", "{{partition()}}"), format!("{invalid}{{{{partition()}}}}"));
    assert_eq!(error("l.*", "{{partition(3,x)}}"), format!("{invalid}{{{{partition(3,x)}}}}"));
    assert_eq!(error("l.*", "{{partition(2147483648)}}"), format!("{invalid}{{{{partition(2147483648)}}}}"));
    assert_eq!(error("l.*", "{{split(1)}}"), format!("{not_enough}{{{{split(1)}}}}"));
    assert_eq!(error("l.*", "{{split(1,-,x)}}"), format!("{too_many}{{{{split(1,-,x)}}}}"));
    assert_eq!(error("l.*", "{{split(1,a b)}}"), format!("{invalid}{{{{split(1,a b)}}}}"));
    assert_eq!(error("l.*", "{{split(x,-)}}"), format!("{invalid}{{{{split(x,-)}}}}"));
    assert_eq!(error("l.*", "{{splitFromLeft(1)}}"), format!("{not_enough}{{{{splitFromLeft(1)}}}}"));
    assert_eq!(error("l.*", "{{splitFromRight(1,2,3)}}"), format!("{too_many}{{{{splitFromRight(1,2,3)}}}}"));
    assert_eq!(error("l.*", "{{sliceFromLeft(1,x)}}"), format!("{invalid}{{{{sliceFromLeft(1,x)}}}}"));
    assert_eq!(
        error("l.*", "{{sliceFromRight(1,9999999999)}}"),
        format!("{invalid}{{{{sliceFromRight(1,9999999999)}}}}")
    );
    assert_eq!(error("l.*", "{{left()}}"), format!("{not_enough}{{{{left()}}}}"));
    assert_eq!(error("l.*", "{{right(y,1)}}"), format!("{invalid}{{{{right(y,1)}}}}"));
    // nats-server words a wrong count for random() as "not enough".
    assert_eq!(error("l.*", "{{random(1,2)}}"), format!("{not_enough}{{{{random(1,2)}}}}"));
    assert_eq!(error("l.*", "{{random()}}"), format!("{invalid}{{{{random()}}}}"));
    assert_eq!(error("l.*", "{{nope(1)}}"), "invalid mapping destination: unknown function in {{nope(1)}}");
}

#[test]
fn strict_transforms_for_imports() {
    assert_eq!(
        strict_error("a.*", "b.{{partition(3)}}"),
        "invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}} in {{partition(3)}}"
    );
    assert_eq!(
        strict_error("a.*.*", "b.$1"),
        "invalid mapping destination: not using all of the token wildcard(s) in b.$1"
    );
    assert!(Transform::new("a.*.*", "b.$2.$1", true).is_ok());
}

#[test]
fn validate_mapping_rules() {
    let v = |s: &str, d: &str| validate_mapping(s, d).err().map(|e| e.to_string());
    // Account mappings cannot name left() or right().
    assert_eq!(v("l.*", "x.{{left(1,2)}}").unwrap(), "invalid mapping destination: unknown function in {{left(1,2)}}");
    assert_eq!(v("l.*", "x..y").unwrap(), "invalid mapping destination: invalid transform");
    assert_eq!(v("l.>", "x.>.y").unwrap(), "invalid mapping destination: invalid transform in y");
    assert_eq!(v("l.*", "x.a b").unwrap(), "invalid mapping destination: invalid transform");
    assert_eq!(v("l.*", "x.*").unwrap(), "invalid subject");
    assert_eq!(v("l.*", "x.$1"), None);
    assert_eq!(v("l", ""), None);
}

#[test]
fn function_names_take_either_case_per_word() {
    assert_eq!(tr("a.*", "{{SplitFromLeft(1,1)}}", "a.xy"), "x.y");
    assert_eq!(tr("a.*", "{{ partition ( 3 , 1 ) }}", "a.xy"), tr("a.*", "{{partition(3,1)}}", "a.xy"));
    assert_eq!(error("a.*", "{{SPLIT(1,-)}}"), "invalid mapping destination: unknown function in {{SPLIT(1,-)}}");
}
