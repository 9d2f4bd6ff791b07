//! The one integration test binary (as ripgrep does): shared helpers, one module per area.
//! Requires the set-up of `scripts/setup.sh` (pyHanko venv, poppler-utils, qpdf, NSS tools).

mod api;
mod audit;
mod backend;
mod classify;
mod codes;
mod deb;
mod digitize;
mod helpers;
pub mod ingest;
mod migrate;
mod nodes;
mod package;
mod progress;
mod renew;
mod robustness;
mod scan_pdfs;
pub mod serve;
mod sheets;
mod sign_errors;
mod sign_interop;
mod sign_ltv;
mod stamps;
mod store;
mod token;
mod verify_attacks;
mod verify_corpus;
pub mod verify_interop;
mod verify_rules;
mod web;
mod webhooks;
