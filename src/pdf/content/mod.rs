//! Foundation `pdf`, content streams (ISO 32000-1 §7.8.2, §8, §9): their operands and
//! operators (`ops`), a cheap scan of what a page draws (`scan`), and fonts as far as reading
//! text and its place needs them (`font` with `cmap` and `encodings`). Shared by `decode`
//! (image-only pages, text layers), `sign` (what a page shows, under a stamp) and `verify`
//! (the text a signature's appearance draws).

pub(crate) mod cmap;
pub(crate) mod encodings;
pub(crate) mod font;
pub(crate) mod matrix;
pub(crate) mod ops;
pub(crate) mod scan;
