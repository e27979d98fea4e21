//! Subject validation and tokenising (filled in by the sublist work).
