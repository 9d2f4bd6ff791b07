//! Low-level PDF: objects, a lazy bounded reader over `Read + Seek`, and the serializer the
//! incremental writer uses. Shared by `sign` (to append a revision) and `verify` (to inspect
//! every revision of an untrusted file).

pub(crate) mod content;
pub mod error;
mod fetch;
pub mod filters;
pub mod incremental;
pub(crate) mod lexer;
mod limits;
pub mod object;
mod objstm;
pub mod parser;
pub mod reader;
mod repair;
mod source;
pub mod text;
pub mod writer;
pub mod xref;
mod xref_stream;

#[cfg(test)]
mod tests;

pub use error::PdfError;
pub use filters::FilterSpec;
pub use incremental::{IncrementalWriter, PrevInfo};
pub use limits::Limits;
pub use object::{Dict, ObjRef, Object, Stream};
pub use parser::parse_object;
pub use reader::{PdfFile, Revision};
pub use writer::{write_indirect, write_object, write_stream};
pub use xref::{XrefEntry, XrefKind};
