//! Stage `store`, what the index counts for the directives' report: grouped counts per unit
//! and month of the desk's calendar (the rows and rates are built on the desk floor,
//! `desk::report`).

/// One grouped count from the index: `(unit, month "YYYY-MM", n)`.
pub type Count = (String, String, u64);

/// The raw counts a report is built from.
#[derive(Clone, Debug, Default)]
pub struct ReportCounts {
    /// Dossiers by the unit and month they were received.
    pub dossiers_received: Vec<Count>,
    /// Dossiers with at least one paper digitized, by unit and month of receipt.
    pub dossiers_digitized: Vec<Count>,
    /// Papers digitized, by unit and month.
    pub components: Vec<Count>,
    /// Papers digitized and signed.
    pub signed: Vec<Count>,
    /// Dossiers into which a stored paper was reused, by the dossier's unit and the month.
    pub dossiers_reusing: Vec<Count>,
    /// Reuse events.
    pub reuse_events: Vec<Count>,
}
