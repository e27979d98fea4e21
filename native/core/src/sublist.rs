//! Subject trie (filled in by the sublist work).
