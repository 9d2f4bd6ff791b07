//! PDF reader, the bounds on untrusted input every part of the reader applies (a leaf: the
//! reader, the cross-reference parsers and the repair scan all take it).

/// Bounds applied to untrusted input (sizes, object numbers and nesting of the structures
/// of ISO 32000-1 §7.3–§7.5; Annex C lists the usual implementation limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file (or prefix) accepted: 4 GiB.
    pub max_file_size: u64,
    /// Object numbers must be below this: 10 000 000.
    pub max_objects: u32,
    /// Largest raw or decoded stream: 256 MiB.
    pub max_decoded_stream: u64,
    /// Deepest nesting of arrays/dictionaries and of the page tree: 64.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: 4 << 30,
            max_objects: 10_000_000,
            max_decoded_stream: 256 << 20,
            max_depth: 64,
        }
    }
}
