use super::*;

fn dest(subject: &str, weight: u8) -> MapDest {
    MapDest { subject: subject.into(), weight, cluster: String::new() }
}

fn counter() -> impl FnMut() -> u32 {
    let mut n = 0u32;
    move || {
        n = n.wrapping_add(1);
        n - 1
    }
}

fn tables(json: &str) -> MappingTables {
    let cfg: MappingsConfig = serde_json::from_str(json).unwrap();
    let names = ["$G", "A", "B"];
    MappingTables::build(&cfg, |n| names.iter().position(|x| *x == n).unwrap() as u32).unwrap()
}

fn select(t: &MappingTables, account: u32, subject: &str, draw: &mut impl FnMut() -> u32) -> Option<String> {
    let mut out = Vec::new();
    match t.select(account, subject.as_bytes(), draw, &mut out) {
        Mapped::Unchanged => None,
        Mapped::To => Some(String::from_utf8(out).unwrap()),
    }
}

#[test]
fn plain_and_wildcard_mappings_in_their_account() {
    let t = tables(
        r#"{"accounts": [["$G", [{"src": "foo", "dests": [{"subject": "bar", "weight": 100}]}]],
                         ["B", [{"src": "a.*", "dests": [{"subject": "b.$1", "weight": 100}]}]]]}"#,
    );
    let mut d = counter();
    assert_eq!(select(&t, 0, "foo", &mut d).as_deref(), Some("bar"));
    assert_eq!(select(&t, 0, "a.x", &mut d), None);
    assert_eq!(select(&t, 1, "foo", &mut d), None);
    assert_eq!(select(&t, 2, "a.x", &mut d).as_deref(), Some("b.x"));
    assert_eq!(select(&t, 2, "a.x.y", &mut d), None);
    assert_eq!(select(&t, 7, "foo", &mut d), None);
}

#[test]
fn weights_split_draws_and_the_rest_keeps_the_subject() {
    let m = Mapping::new("w.*", &[dest("one.$1", 20), dest("two.$1", 30)]).unwrap();
    let mut counts = std::collections::HashMap::<String, u32>::new();
    let mut draw = counter();
    for _ in 0..100 {
        let mut out = Vec::new();
        m.select(b"w.x", &mut draw, &mut out);
        *counts.entry(String::from_utf8(out).unwrap()).or_default() += 1;
    }
    // Draws 0..100 once each: exactly the weights, and 50 left on the source.
    assert_eq!(counts["one.x"], 20);
    assert_eq!(counts["two.x"], 30);
    assert_eq!(counts["w.x"], 50);
}

#[test]
fn listing_the_source_loses_the_remainder() {
    let m = Mapping::new("loss", &[dest("loss", 50)]).unwrap();
    let mut draw = counter();
    let mut lost = 0;
    for _ in 0..100 {
        let mut out = Vec::new();
        m.select(b"loss", &mut draw, &mut out);
        if out.is_empty() {
            lost += 1;
        } else {
            assert_eq!(out, b"loss");
        }
    }
    assert_eq!(lost, 50);
}

#[test]
fn cluster_scoped_destinations_are_checked_then_unused() {
    let scoped = MapDest { subject: "won".into(), weight: 100, cluster: "x".into() };
    let m = Mapping::new("c", std::slice::from_ref(&scoped)).unwrap();
    let mut out = Vec::new();
    m.select(b"c", &mut counter(), &mut out);
    assert_eq!(out, b"c");
    // Weights add up per cluster.
    assert!(Mapping::new("c", &[scoped.clone(), dest("other", 100)]).is_ok());
    let again = MapDest { subject: "won2".into(), weight: 1, cluster: "x".into() };
    assert_eq!(Mapping::new("c", &[scoped, again]).unwrap_err(), "total weight needs to be <= 100");
}

#[test]
fn configuration_errors_as_nats_server_words_them() {
    assert_eq!(Mapping::new("a..b", &[dest("x", 100)]).unwrap_err(), "invalid subject");
    assert_eq!(Mapping::new("l.*", &[dest("a", 60), dest("b", 50)]).unwrap_err(), "total weight needs to be <= 100");
    assert_eq!(Mapping::new("l.*", &[dest("a", 50), dest("a", 10)]).unwrap_err(), "duplicate entry for \"a\"");
    assert_eq!(Mapping::new("l.*", &[dest("a", 101)]).unwrap_err(), "individual weights need to be <= 100");
    assert_eq!(
        Mapping::new("l.*", &[dest("x.{{left(1,2)}}", 100)]).unwrap_err(),
        "invalid mapping destination: unknown function in {{left(1,2)}}"
    );
    assert_eq!(
        Mapping::new("l.*", &[dest("x.{{wildcard(2)}}", 100)]).unwrap_err(),
        "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]"
    );
    assert_eq!(
        check_json("l", br#"[{"subject": "x.$1", "weight": 100}]"#).unwrap(),
        "invalid mapping destination: wildcard index out of range in $1"
    );
    assert_eq!(check_json("l", br#"[{"subject": "x", "weight": 100}]"#), None);
}

#[test]
fn an_empty_destination_drops_the_message() {
    // nats-server accepts it and then fails at publish time; here the message goes nowhere.
    let m = Mapping::new("e", &[dest("", 100)]).unwrap();
    let mut out = b"stale".to_vec();
    m.select(b"e", &mut counter(), &mut out);
    assert!(out.is_empty());
}

#[test]
fn first_matching_mapping_wins_and_a_repeat_replaces() {
    let t = tables(
        r#"{"accounts": [["$G", [
            {"src": "a.*", "dests": [{"subject": "first.$1", "weight": 100}]},
            {"src": "a.>", "dests": [{"subject": "second.>", "weight": 100}]},
            {"src": "a.*", "dests": [{"subject": "third.$1", "weight": 100}]}]]]}"#,
    );
    let mut d = counter();
    assert_eq!(select(&t, 0, "a.x", &mut d).as_deref(), Some("third.x"));
    assert_eq!(select(&t, 0, "a.x.y", &mut d).as_deref(), Some("second.x.y"));
}

#[test]
fn view_follows_the_shared_generation() {
    let shared = Mappings::default();
    let mut view = MappingView::default();
    assert_eq!(view.map(&shared, 0, b"foo"), Mapped::Unchanged);
    shared.set(tables(r#"{"accounts": [["$G", [{"src": "foo", "dests": [{"subject": "bar", "weight": 100}]}]]]}"#));
    assert_eq!(view.map(&shared, 0, b"foo"), Mapped::To);
    assert_eq!(view.subject, b"bar");
    shared.set(MappingTables::default());
    assert_eq!(view.map(&shared, 0, b"foo"), Mapped::Unchanged);
}
