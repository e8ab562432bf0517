//! Gives back to the system, once start-up is over, the memory only start-up needed: the pages of
//! the executable it touched (argument and config parsing, migrations, the first probes' setup)
//! and the heap it freed. A monitor then waits for hours with only its steady loop running; what
//! that loop needs again comes back on its own, from the page cache.
//!
//! Why it matters: the kernel maps 64 KB around every page of code a process touches, so a
//! 15 MB executable keeps most of its code resident after start-up (11.5 of `llm-health`'s
//! 14.8 MB of `.text`, measured, see BENCHMARKS.md) although its steady work uses a fraction.

use std::time::Duration;

/// How long after start the memory goes back: the first checks and the history's first writes
/// are done by then, so the pages that come back are the steady loop's own.
pub const SETTLE: Duration = Duration::from_secs(30);

/// Waits [`SETTLE`], then gives the start-up memory back (on a blocking thread: the page-out
/// can take milliseconds) and logs what came of it.
pub async fn give_back_once_settled() {
    tokio::time::sleep(SETTLE).await;
    let given = tokio::task::spawn_blocking(give_back)
        .await
        .map_err(std::io::Error::other)
        .and_then(|given| given);
    match given {
        Ok(given) => tracing::debug!(?given, "start-up memory given back"),
        Err(err) => tracing::debug!("start-up memory stays: {err}"),
    }
}

/// What [`give_back`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GivenBack {
    /// Bytes of the executable's read-only mappings the kernel was asked to page out.
    pub code_bytes: usize,
    /// Whether the allocator returned free heap pages (`malloc_trim`).
    pub heap_trimmed: bool,
}

/// Pages out the executable's read-only mappings (`MADV_PAGEOUT`, Linux 5.4 and later) and trims
/// the heap. Nothing it does changes what the memory holds: a page that is used again faults
/// back in. Elsewhere, and on older kernels, it does nothing and says so.
pub fn give_back() -> std::io::Result<GivenBack> {
    imp::give_back()
}

#[cfg(target_os = "linux")]
mod imp {
    use super::GivenBack;

    pub fn give_back() -> std::io::Result<GivenBack> {
        let exe = std::fs::read_link("/proc/self/exe")?;
        let maps = std::fs::read_to_string("/proc/self/maps")?;
        let mut code_bytes = 0;
        let mut refused = None;
        for (start, end) in read_only_mappings_of(&maps, &exe.to_string_lossy()) {
            // SAFETY: the range is one of this process's own mappings, as /proc/self/maps lists
            // it, and MADV_PAGEOUT only asks the kernel to reclaim its pages: their contents
            // and the mapping stay as they are (a page is read back on its next use). A range
            // unmapped meanwhile fails with ENOMEM; nothing unmaps the executable.
            let r = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT)
            };
            if r == 0 {
                code_bytes += end - start;
            } else {
                refused = Some(std::io::Error::last_os_error());
            }
        }
        // SAFETY: malloc_trim only returns free memory at the heap's end and in free chunks to
        // the system; it takes the allocator's locks like any malloc call.
        #[cfg(target_env = "gnu")]
        let heap_trimmed = unsafe { libc::malloc_trim(0) } == 1;
        #[cfg(not(target_env = "gnu"))]
        let heap_trimmed = false;
        match refused {
            // An old kernel refuses MADV_PAGEOUT with EINVAL for every range.
            Some(err) if code_bytes == 0 => Err(err),
            _ => Ok(GivenBack {
                code_bytes,
                heap_trimmed,
            }),
        }
    }

    /// The `[start, end)` of the mappings of `path` that cannot be written, from
    /// /proc/self/maps's `start-end perms offset dev inode path` lines.
    pub(super) fn read_only_mappings_of(maps: &str, path: &str) -> Vec<(usize, usize)> {
        maps.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let range = fields.next()?;
                let perms = fields.next()?;
                let name = fields.nth(3)?;
                if name != path || perms.as_bytes().get(1) != Some(&b'-') {
                    return None;
                }
                let (a, b) = range.split_once('-')?;
                let start = usize::from_str_radix(a, 16).ok()?;
                let end = usize::from_str_radix(b, 16).ok()?;
                (start < end).then_some((start, end))
            })
            .collect()
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::GivenBack;

    pub fn give_back() -> std::io::Result<GivenBack> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "giving back start-up memory is done on Linux only",
        ))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_unwritable_mappings_are_chosen() {
        let maps = "\
55a89c801000-55a89cd1c000 r--p 00000000 fe:00 5316911    /opt/llm-health
55a89cd1c000-55a89db44000 r-xp 0051a000 fe:00 5316911    /opt/llm-health
55a89dc97000-55a89dc9d000 rw-p 01493000 fe:00 5316911    /opt/llm-health
55a89dc9d000-55a89dca0000 r-xp 00000000 fe:00 5316912    /opt/llm-health-other
7faef6aec000-7faef6c42000 r-xp 00028000 fe:00 1234       /usr/lib/libc.so.6
7faef0000000-7faef00b1000 rw-p 00000000 00:00 0
garbage line
";
        assert_eq!(
            imp::read_only_mappings_of(maps, "/opt/llm-health"),
            [
                (0x55a8_9c80_1000, 0x55a8_9cd1_c000),
                (0x55a8_9cd1_c000, 0x55a8_9db4_4000)
            ]
        );
    }

    /// Resident KB of this test binary's own mappings.
    fn exe_resident_kb() -> u64 {
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let exe = exe.to_string_lossy().into_owned();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut ours = false;
        let mut kb = 0;
        for line in smaps.lines() {
            if let Some(rss) = line.strip_prefix("Rss:") {
                if ours {
                    kb += rss
                        .trim()
                        .trim_end_matches(" kB")
                        .trim()
                        .parse::<u64>()
                        .unwrap();
                }
            } else if line
                .split_whitespace()
                .next()
                .is_some_and(|f| f.contains('-'))
            {
                ours = line.split_whitespace().nth(5) == Some(exe.as_str());
            }
        }
        kb
    }

    #[test]
    fn the_executables_pages_leave_and_the_code_still_runs() {
        let before = exe_resident_kb();
        match give_back() {
            Ok(given) => {
                assert!(given.code_bytes > 0, "{given:?}");
                let after = exe_resident_kb();
                assert!(
                    after < before,
                    "resident {before} kB before, {after} kB after"
                );
            }
            // A kernel older than 5.4 knows no MADV_PAGEOUT; nothing else may fail.
            Err(err) => assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}"),
        }
        // The code paged out comes back when it runs again.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        assert!(!imp::read_only_mappings_of(&maps, &exe.to_string_lossy()).is_empty());
    }
}
