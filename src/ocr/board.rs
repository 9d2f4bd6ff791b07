//! Stage `ocr`, one call's engines sharing the reading: the last pages of a call are cut into
//! strips (see [`super::strips`]) and posted on a board, with the orientation probes of a page,
//! and every engine of the call reads from it whenever it has no page of its own to prepare,
//! so no core idles while another still reads the last page.
//!
//! Without it a call's engines read whole pages, one each: a one-page call kept one core idle,
//! and a call of two or three pages of different lengths ended on one core while the other
//! waited (measured here: 150-450 ms per call on the sample files).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use image::GrayImage;

use super::tess::RunError;
use super::tsv::Parsed;

/// Strips per engine of the call when a page is cut. The engines take strips of every cut
/// page in turn, so the pages of a call's end balance each other; measured here on the 20
/// sample files (per-file calls to a service, interleaved rounds), two per engine read no
/// faster than one but cost about 0.5-1 s more CPU over the 28 pages (a Tesseract run each),
/// and put a character more wrong on the second sample set (42 errors against 41).
const STRIPS_PER_ENGINE: usize = 1;

/// One image posted for reading: `index` of posting `post`.
struct Task {
    post: u64,
    index: usize,
    img: GrayImage,
    dpi: f32,
}

/// What came back of one posting so far, by index (`None`: not read yet).
type Post = Vec<Option<Result<Parsed, RunError>>>;

struct State {
    tasks: VecDeque<Task>,
    posts: HashMap<u64, Post>,
    next_post: u64,
    /// Engines still taking pages of their own (they may post more).
    active: usize,
    /// Pages begun so far.
    begun: usize,
}

/// The reads of one call (a `digitize`, a batch of the service), shared by its `engines`.
pub struct Board {
    state: Mutex<State>,
    changed: Condvar,
    engines: usize,
    pages: usize,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board")
            .field("engines", &self.engines)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// How a read is run: by the engine of whoever takes it.
pub(crate) type Read<'a> = dyn FnMut(&GrayImage, f32) -> Result<Parsed, RunError> + 'a;

impl Board {
    /// A board for `pages` pages to be recognised by `engines` engines, each of which must
    /// [`Board::leave`] when it takes no more pages.
    pub fn new(engines: usize, pages: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                tasks: VecDeque::new(),
                posts: HashMap::new(),
                next_post: 0,
                active: engines.max(1),
                begun: 0,
            }),
            changed: Condvar::new(),
            engines: engines.max(1),
            pages,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An engine begins a page.
    pub(crate) fn begin_page(&self) {
        self.lock().begun += 1;
    }

    /// Into how many strips the page being read may be cut: one while there are pages not yet
    /// begun for every other engine (each engine reading a whole page of its own is cheapest),
    /// else [`STRIPS_PER_ENGINE`] per engine, so the engines that run out of pages read the
    /// rest of this one.
    pub(crate) fn parts_for_page(&self) -> usize {
        let not_begun = self.pages.saturating_sub(self.lock().begun);
        if self.engines > 1 && not_begun < self.engines {
            self.engines * STRIPS_PER_ENGINE
        } else {
            1
        }
    }

    /// Threads the work around a read may use now (rotation): all of them at the end of a
    /// call, else one.
    pub(crate) fn threads(&self) -> usize {
        if self.parts_for_page() > 1 {
            self.engines
        } else {
            1
        }
    }

    /// Posts `images` and reads them with `read`, along with whatever else is posted, until
    /// every one of them is read (some by other engines); the results in the order of `images`.
    pub(crate) fn read_all(
        &self,
        images: Vec<(GrayImage, f32)>,
        read: &mut Read<'_>,
    ) -> Result<Vec<Parsed>, RunError> {
        let n = images.len();
        let post = {
            let mut s = self.lock();
            let post = s.next_post;
            s.next_post += 1;
            s.posts.insert(post, (0..n).map(|_| None).collect());
            for (index, (img, dpi)) in images.into_iter().enumerate() {
                s.tasks.push_back(Task {
                    post,
                    index,
                    img,
                    dpi,
                });
            }
            post
        };
        self.changed.notify_all();
        let mut s = self.lock();
        loop {
            if s.posts
                .get(&post)
                .is_none_or(|p| p.iter().all(Option::is_some))
            {
                let parts = s.posts.remove(&post).unwrap_or_default();
                return parts
                    .into_iter()
                    .map(|p| {
                        p.unwrap_or_else(|| {
                            Err(RunError::Recognize("a strip was never read".into()))
                        })
                    })
                    .collect();
            }
            if let Some(task) = s.tasks.pop_front() {
                drop(s);
                self.run(task, read);
                s = self.lock();
                continue;
            }
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The engine calling takes no more pages of its own.
    pub fn leave(&self) {
        let mut s = self.lock();
        s.active = s.active.saturating_sub(1);
        drop(s);
        self.changed.notify_all();
    }

    /// After [`Board::leave`]: reads what the other engines post, until none of them takes
    /// pages any more and nothing is left to read.
    pub(crate) fn help(&self, read: &mut Read<'_>) {
        let mut s = self.lock();
        loop {
            if let Some(task) = s.tasks.pop_front() {
                drop(s);
                self.run(task, read);
                s = self.lock();
                continue;
            }
            if s.active == 0 {
                return;
            }
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Reads one task and records the result, also when `read` panics (its poster must not
    /// wait for ever).
    fn run(&self, task: Task, read: &mut Read<'_>) {
        struct Recorded<'a> {
            board: &'a Board,
            post: u64,
            index: usize,
            result: Option<Result<Parsed, RunError>>,
        }
        impl Drop for Recorded<'_> {
            fn drop(&mut self) {
                let result = self.result.take().unwrap_or_else(|| {
                    Err(RunError::Recognize(
                        "the engine reading this strip stopped".into(),
                    ))
                });
                let mut s = self.board.lock();
                if let Some(slot) = s
                    .posts
                    .get_mut(&self.post)
                    .and_then(|p| p.get_mut(self.index))
                {
                    *slot = Some(result);
                }
                drop(s);
                self.board.changed.notify_all();
            }
        }
        let mut recorded = Recorded {
            board: self,
            post: task.post,
            index: task.index,
            result: None,
        };
        recorded.result = Some(read(&task.img, task.dpi));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn parsed(text: &str) -> Parsed {
        Parsed {
            text: text.to_owned(),
            ..Parsed::default()
        }
    }

    /// An image whose width names it.
    fn named(n: u32) -> (GrayImage, f32) {
        (GrayImage::new(n, 1), 300.0)
    }

    #[test]
    fn strips_posted_by_one_engine_are_read_by_the_others_and_come_back_in_order() {
        let board = Board::new(3, 1);
        let by_helpers = AtomicUsize::new(0);
        let got = std::thread::scope(|scope| {
            for _ in 0..2 {
                let (board, by_helpers) = (&board, &by_helpers);
                scope.spawn(move || {
                    board.leave();
                    board.help(&mut |img, _| {
                        by_helpers.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Ok(parsed(&img.width().to_string()))
                    });
                });
            }
            board.begin_page();
            assert_eq!(board.parts_for_page(), 3 * STRIPS_PER_ENGINE);
            let got = board.read_all((1..=6).map(named).collect(), &mut |img, _| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                Ok(parsed(&img.width().to_string()))
            });
            board.leave();
            got
        })
        .unwrap();
        let texts: Vec<&str> = got.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["1", "2", "3", "4", "5", "6"]);
        assert!(
            by_helpers.load(Ordering::SeqCst) >= 2,
            "the helpers read nothing"
        );
    }

    #[test]
    fn pages_are_cut_only_when_an_engine_would_otherwise_run_out_of_pages() {
        let board = Board::new(2, 4);
        board.begin_page();
        board.begin_page();
        // two pages not begun, two engines: each will have a whole page more
        assert_eq!(board.parts_for_page(), 1);
        board.begin_page();
        assert_eq!(board.parts_for_page(), 2 * STRIPS_PER_ENGINE);
        assert_eq!(Board::new(1, 1).parts_for_page(), 1);
    }

    #[test]
    fn a_read_that_panics_on_another_engine_is_an_error_not_a_wait_for_ever() {
        let board = Board::new(2, 1);
        let got = std::thread::scope(|scope| {
            let b = &board;
            let helper = scope.spawn(move || {
                b.leave();
                b.help(&mut |_, _| panic!("engine crashed"));
            });
            // let the helper wait for work first
            std::thread::sleep(std::time::Duration::from_millis(50));
            let got = board.read_all(vec![named(1), named(2)], &mut |img, _| {
                // leave the second strip to the helper
                std::thread::sleep(std::time::Duration::from_millis(100));
                Ok(parsed(&img.width().to_string()))
            });
            board.leave();
            assert!(helper.join().is_err());
            got
        });
        let e = got.unwrap_err();
        assert!(e.to_string().contains("stopped"), "{e}");
    }

    #[test]
    fn an_error_reading_a_strip_is_the_posters_error() {
        let board = Board::new(1, 1);
        let got = board.read_all(vec![named(1), named(2)], &mut |img, _| {
            if img.width() == 2 {
                Err(RunError::Recognize("bad strip".into()))
            } else {
                Ok(parsed("1"))
            }
        });
        assert!(got.unwrap_err().to_string().contains("bad strip"));
    }
}
