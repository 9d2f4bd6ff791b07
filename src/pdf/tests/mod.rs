//! Cross-module tests of the PDF reader and writer.

mod external;
mod files;
mod fixtures;
mod robustness;
