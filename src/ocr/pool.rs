//! Stage `ocr`, engines kept between runs: a service reads one batch after another, and
//! starting Tesseract with its Vietnamese model costs about 0.1 s each time (as long as OCR of
//! a tenth of a page). A pool hands out idle engines of one configuration and takes them back
//! when the run is done.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{Engine, OcrConfig, OcrError};

/// Idle engines of one configuration.
pub struct EnginePool {
    cfg: OcrConfig,
    idle: Mutex<Vec<Engine>>,
    max_idle: usize,
    /// Engines on loan now (each reading one batch).
    lent: AtomicUsize,
}

impl std::fmt::Debug for EnginePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnginePool")
            .field("lang", &self.cfg.lang)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

impl EnginePool {
    /// Keeps at most `max_idle` idle engines (one per worker thread is enough).
    pub fn new(cfg: OcrConfig, max_idle: usize) -> Arc<Self> {
        Arc::new(Self {
            cfg,
            idle: Mutex::new(Vec::new()),
            max_idle,
            lent: AtomicUsize::new(0),
        })
    }

    /// The configuration its engines were made with.
    pub fn config(&self) -> &OcrConfig {
        &self.cfg
    }

    /// Engines waiting to be used.
    pub fn idle(&self) -> usize {
        self.idle.lock().map(|v| v.len()).unwrap_or(0)
    }

    /// Engines on loan now: how many are reading a batch (for diagnostics).
    pub fn lent(&self) -> usize {
        self.lent.load(Ordering::SeqCst)
    }
}

/// An engine for one worker: from `pool` when one is given (and returned to it when dropped),
/// else started for `cfg`.
pub fn engine_for(
    pool: Option<&Arc<EnginePool>>,
    cfg: &OcrConfig,
) -> Result<PooledEngine, OcrError> {
    let Some(pool) = pool else {
        return Ok(PooledEngine {
            engine: Some(Engine::new(cfg)?),
            home: None,
        });
    };
    let idle = pool.idle.lock().ok().and_then(|mut v| v.pop());
    let engine = match idle {
        Some(e) => e,
        None => Engine::new(&pool.cfg)?,
    };
    pool.lent.fetch_add(1, Ordering::SeqCst);
    Ok(PooledEngine {
        engine: Some(engine),
        home: Some(Arc::clone(pool)),
    })
}

/// An engine on loan (see [`engine_for`]).
pub struct PooledEngine {
    engine: Option<Engine>,
    home: Option<Arc<EnginePool>>,
}

impl Deref for PooledEngine {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        // present from creation until drop
        self.engine.as_ref().expect("engine present until dropped")
    }
}

impl DerefMut for PooledEngine {
    fn deref_mut(&mut self) -> &mut Engine {
        self.engine.as_mut().expect("engine present until dropped")
    }
}

impl Drop for PooledEngine {
    fn drop(&mut self) {
        if let (Some(e), Some(home)) = (self.engine.take(), self.home.as_ref()) {
            home.lent.fetch_sub(1, Ordering::SeqCst);
            if let Ok(mut idle) = home.idle.lock() {
                if idle.len() < home.max_idle {
                    idle.push(e);
                }
            }
        }
    }
}
