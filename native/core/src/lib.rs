//! Myelin core: the data plane of a NATS-compatible broker.
pub mod subject;
pub mod sublist;
