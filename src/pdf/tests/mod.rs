//! Cross-module tests of the PDF reader and writer.

mod adhoc;
mod external;
mod files;
mod fixtures;
mod robustness;
