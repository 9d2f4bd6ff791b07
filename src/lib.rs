//! sohoa: digitize, sign, store and reuse the papers of Vietnamese administrative dossiers.
//!
//! Data flow: `ingest → decode → ocr → classify → assemble (PDF/A) → sign → store`, with
//! `verify`, `api` and `cli` at the edges. See `docs/ARCHITECTURE.md`.
#![forbid(unsafe_code)]

pub mod api;
pub mod assemble;
pub mod audit;
pub mod classify;
pub mod config;
pub mod decode;
pub mod desk;
pub mod digitize;
pub mod inbox;
pub mod index;
pub mod ingest;
pub mod migrate;
pub mod ocr;
pub mod package;
pub mod pdf;
pub mod pki;
pub mod preview;
pub mod progress;
pub mod sign;
pub mod similar;
pub mod store;
#[cfg(test)]
mod testing;
pub mod text;
pub mod time;
pub mod verify;
pub mod webhook;
