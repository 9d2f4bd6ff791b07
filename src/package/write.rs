//! Hand-off, writing a dossier package: members streamed into a ZIP (PDFs stored as they are —
//! they are compressed already — JSON deflated), then the manifest and its signature, then the
//! central directory. No I/O of its own: any `Write + Seek`.

use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::{PackageError, MANIFEST, MANIFEST_SIGNATURE};

/// A package being written.
pub struct PackageWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    time: DateTime,
}

fn write_err(member: &str) -> impl Fn(zip::result::ZipError) -> PackageError + '_ {
    move |e| PackageError::Write {
        member: member.to_string(),
        reason: e.to_string(),
    }
}

impl<W: Write + Seek> PackageWriter<W> {
    /// A package written to `out`, its members dated `local` (the desk's calendar: year,
    /// month, day, hour, minute, second; ZIP dates have no zone).
    pub fn new(out: W, local: (u16, u8, u8, u8, u8, u8)) -> Self {
        let (y, mo, d, h, mi, s) = local;
        let time = DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_default();
        Self {
            zip: ZipWriter::new(out),
            time,
        }
    }

    fn options(&self, method: CompressionMethod) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.time)
            .unix_permissions(0o644)
            .large_file(false)
    }

    /// Starts member `name` (stored, not compressed) and gives the writer its bytes go to.
    pub fn start_stored(&mut self, name: &str) -> Result<&mut ZipWriter<W>, PackageError> {
        let o = self.options(CompressionMethod::Stored).large_file(true);
        self.zip.start_file(name, o).map_err(write_err(name))?;
        Ok(&mut self.zip)
    }

    /// Member `name` with `bytes`, deflated.
    pub fn add_deflated(&mut self, name: &str, bytes: &[u8]) -> Result<(), PackageError> {
        let o = self.options(CompressionMethod::Deflated);
        self.zip.start_file(name, o).map_err(write_err(name))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| write_err(name)(e.into()))
    }

    /// Writes the manifest and its detached signature and closes the ZIP.
    pub fn finish(mut self, manifest: &[u8], signature: &[u8]) -> Result<W, PackageError> {
        self.add_deflated(MANIFEST, manifest)?;
        let o = self.options(CompressionMethod::Stored);
        self.zip
            .start_file(MANIFEST_SIGNATURE, o)
            .map_err(write_err(MANIFEST_SIGNATURE))?;
        self.zip
            .write_all(signature)
            .map_err(|e| write_err(MANIFEST_SIGNATURE)(e.into()))?;
        self.zip.finish().map_err(write_err("(central directory)"))
    }
}
