//! The subject transform of `myelin_core::transform` for the control plane: JetStream's republish and the
//! `subject_transforms` of mirrors and sources use the same code (and error texts) as account mappings.

use myelin_core::transform::{validate_mapping, Transform};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi]
pub struct NativeSubjectTransform {
    inner: Transform,
    /// For `{{random(n)}}`: a xorshift state, seeded per transform.
    rng: u64,
}

#[napi]
impl NativeSubjectTransform {
    /// nats-server's (non-strict) `NewSubjectTransform` from `src` (empty: `>`) to `dest`; throws its error text.
    #[napi(constructor)]
    pub fn new(src: String, dest: String) -> Result<Self> {
        match Transform::new(&src, &dest, false) {
            Ok(Some(inner)) => {
                let seed =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
                Ok(NativeSubjectTransform { inner, rng: (seed as u64) | 1 })
            }
            Ok(None) => Err(Error::from_reason("invalid subject")),
            Err(e) => Err(Error::from_reason(e.to_string())),
        }
    }

    /// The mapped subject, or null when `subject` is not within the source.
    #[napi]
    pub fn transform(&mut self, subject: String) -> Option<String> {
        let state = &mut self.rng;
        let mut random = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state as u32
        };
        let out = self.inner.transform(subject.as_bytes(), &mut random)?;
        String::from_utf8(out).ok()
    }
}

/// nats-server's `ValidateMapping` for a transform destination: its error text, or null when valid.
#[napi]
pub fn validate_subject_mapping(src: String, dest: String) -> Option<String> {
    validate_mapping(&src, &dest).err().map(|e| e.to_string())
}
