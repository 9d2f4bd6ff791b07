//! Stage `store`, connections to the index kept for reuse: the HTTP API and the inbox's
//! workers take one per call instead of connecting each time (a PostgreSQL connection costs a
//! round of authentication). A connection whose call failed is closed, not kept: it may be
//! broken (the server restarted) or inside a failed transaction.

use std::sync::{Arc, Mutex};

use super::{Index, IndexError, IndexLocation};

/// Open connections to one index, at most `idle` kept between calls.
#[derive(Clone)]
pub struct IndexPool {
    location: IndexLocation,
    idle: usize,
    free: Arc<Mutex<Vec<Box<dyn Index + Send>>>>,
}

impl IndexPool {
    /// A pool of `location` keeping at most `idle` connections between calls. Nothing is
    /// opened yet.
    pub fn new(location: IndexLocation, idle: usize) -> Self {
        Self {
            location,
            idle,
            free: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn location(&self) -> &IndexLocation {
        &self.location
    }

    /// Runs `f` with a connection (a kept one, else a new one); it is kept again when `f`
    /// succeeded. `E` must say what a failure to connect is.
    pub fn with<T, E: From<IndexError>>(
        &self,
        f: impl FnOnce(&mut dyn Index) -> Result<T, E>,
    ) -> Result<T, E> {
        let kept = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut ix = match kept {
            Some(ix) => ix,
            None => self.location.open()?,
        };
        let out = f(ix.as_mut());
        if out.is_ok() {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            if free.len() < self.idle {
                free.push(ix);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_kept_after_success_and_closed_after_failure() {
        let dir = tempfile::tempdir().unwrap();
        let pool = IndexPool::new(IndexLocation::Sqlite(dir.path().join("i.sqlite")), 2);
        let n = |p: &IndexPool| p.free.lock().unwrap().len();
        pool.with(|ix| ix.component(1).map(|_| ())).unwrap();
        assert_eq!(n(&pool), 1);
        let failed: Result<(), IndexError> = pool.with(|ix| {
            ix.component(1)?;
            Err(IndexError::Invalid {
                db: "test".into(),
                message: "the call failed".into(),
            })
        });
        assert!(failed.is_err());
        assert_eq!(n(&pool), 0);
    }
}
