//! FileStore tests.
mod basic;
