//! FileStore tests.
mod basic;
mod crash;
mod model;
mod ttl;
