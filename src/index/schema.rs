//! Stage `store`, the index's schema: versioned migrations, applied in order, each in its own
//! transaction, recorded in `schema_migrations`. The common SQL (types TEXT, INTEGER, BIGINT,
//! REAL; `ON CONFLICT … DO NOTHING`) runs on SQLite ≥ 3.24 and PostgreSQL; the full-text table
//! is backend-specific (SQLite FTS5 here; a `tsvector` column on PostgreSQL).

/// One migration.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// Runs on every backend.
    pub common: &'static str,
    /// SQLite only (the full-text index).
    pub sqlite: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "units, dossiers, components, owners, signatures, reuse events, audit log",
        common: "
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE dossiers (
    code TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    received_at TEXT NOT NULL
);
CREATE TABLE components (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    dossier_code TEXT REFERENCES dossiers(code),
    type_code TEXT NOT NULL,
    confidence REAL NOT NULL,
    review_state TEXT NOT NULL,
    pages INTEGER NOT NULL,
    source_sha256 TEXT NOT NULL,
    source_page INTEGER NOT NULL,
    signed_sha256 TEXT,
    fields_json TEXT NOT NULL,
    issue_date TEXT,
    valid_until TEXT,
    ocr_text TEXT NOT NULL,
    likeness_json TEXT,
    rescan_of INTEGER REFERENCES components(id),
    created_at TEXT NOT NULL
);
CREATE INDEX components_dossier ON components(dossier_code);
CREATE INDEX components_type ON components(type_code);
CREATE UNIQUE INDEX components_source ON components(source_sha256, source_page);
CREATE INDEX components_signed ON components(signed_sha256);
CREATE TABLE component_owners (
    component_id INTEGER NOT NULL REFERENCES components(id),
    person_id TEXT NOT NULL,
    PRIMARY KEY (component_id, person_id)
);
CREATE INDEX component_owners_person ON component_owners(person_id);
CREATE TABLE component_tax_codes (
    component_id INTEGER NOT NULL REFERENCES components(id),
    tax_code TEXT NOT NULL,
    PRIMARY KEY (component_id, tax_code)
);
CREATE INDEX component_tax_codes_code ON component_tax_codes(tax_code);
CREATE TABLE signatures (
    component_id INTEGER PRIMARY KEY REFERENCES components(id),
    signer_subject TEXT NOT NULL,
    cert_serial TEXT NOT NULL,
    cert_issuer TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    level TEXT NOT NULL
);
CREATE TABLE reuse_events (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id),
    dossier_code TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    override_reason TEXT
);
CREATE INDEX reuse_events_component ON reuse_events(component_id);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
",
        sqlite: "
CREATE VIRTUAL TABLE component_text USING fts5(folded, tokenize = 'unicode61');
",
    },
    Migration {
        version: 2,
        name: "near-duplicate lookup: numbers printed on a paper, bands of its first page's pHash",
        // `component_numbers`: the numbers and dates of at least 6 characters a paper prints
        // (`similar::text::numbers`), so the papers sharing one with a new scan are found by index.
        // `component_phash`: the first page's 64-bit pHash cut into four 16-bit bands (multi-index
        // hashing, Norouzi et al. 2012): two hashes at most 7 bits apart agree within one bit on at
        // least one band, so probing each band with its 17 one-bit neighbours finds them all.
        common: "
CREATE TABLE component_numbers (
    component_id INTEGER NOT NULL REFERENCES components(id),
    number TEXT NOT NULL,
    PRIMARY KEY (component_id, number)
);
CREATE INDEX component_numbers_number ON component_numbers(number);
CREATE TABLE component_phash (
    component_id INTEGER NOT NULL REFERENCES components(id),
    band INTEGER NOT NULL,
    value INTEGER NOT NULL,
    phash BIGINT NOT NULL,
    PRIMARY KEY (component_id, band)
);
CREATE INDEX component_phash_band ON component_phash(band, value);
",
        sqlite: "",
    },
    Migration {
        version: 3,
        name: "scans ingested to the end",
        // written after a run indexed every paper of the scan: a later run over the same
        // bytes answers from the index without reading them again
        common: "
CREATE TABLE ingested_scans (
    sha256 TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL
);
",
        sqlite: "",
    },
    Migration {
        version: 4,
        name: "the inbox journal: every batch the service took, its attempts and outcome",
        common: "
CREATE TABLE inbox_jobs (
    job_key TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL,
    dossier_code TEXT,
    label TEXT NOT NULL,
    files_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    starts INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    papers INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inbox_jobs_state ON inbox_jobs(state, updated_at);
",
        sqlite: "",
    },
    Migration {
        version: 5,
        name: "the review queue: papers by review state",
        common: "
CREATE INDEX components_review ON components(review_state, id);
",
        sqlite: "",
    },
    Migration {
        version: 6,
        name: "renewals: a stored paper's newer long-term file (B-LTA document timestamp), the older kept",
        common: "
CREATE TABLE renewals (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id),
    old_sha256 TEXT NOT NULL,
    new_sha256 TEXT NOT NULL,
    level TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX renewals_component ON renewals(component_id);
",
        sqlite: "",
    },
    Migration {
        version: 7,
        name: "the certification register: one sequence per unit and year, each number reserved before its copy is signed",
        common: "
CREATE TABLE certifications (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    book TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES components(id),
    copy_id INTEGER REFERENCES components(id),
    officer TEXT NOT NULL,
    state TEXT NOT NULL,
    reserved_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (unit_code, year, seq)
);
CREATE UNIQUE INDEX certifications_copy ON certifications(copy_id);
CREATE INDEX certifications_state ON certifications(state, reserved_at);
",
        sqlite: "",
    },
    Migration {
        version: 8,
        name: "a paper's or dossier's history: audit entries by subject",
        common: "
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
",
        sqlite: "",
    },
    Migration {
        version: 9,
        name: "the outbox: events for webhooks, their deliveries, each receiver's cursor",
        common: "
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE webhook_cursors (
    url TEXT PRIMARY KEY,
    last_outbox_id INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    event_id TEXT NOT NULL REFERENCES outbox(event_id),
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at BIGINT NOT NULL,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(url, state, next_at);
",
        sqlite: "",
    },
    Migration {
        version: 10,
        name: "a paper's blank backs: not stored, counted in the original's pages",
        common: "
ALTER TABLE components ADD COLUMN blank_pages INTEGER NOT NULL DEFAULT 0;
",
        sqlite: "",
    },
];

/// The newest schema version this build knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}
