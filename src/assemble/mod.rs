//! Stage `assemble`: recognised pages to a searchable PDF/A-2u (ISO 19005-2, level U): each
//! page's original image embedded once, an invisible text layer on the words, XMP metadata,
//! an sRGB OutputIntent. Streams page by page to the output.
