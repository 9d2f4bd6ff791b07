//! Cross-module tests of the PDF reader and writer.

mod files;
mod fixtures;
mod robustness;
