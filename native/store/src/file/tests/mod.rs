//! FileStore tests.
mod basic;
mod crash;
