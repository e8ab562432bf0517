//! One monitor per profile. The first launch listens on a Unix socket named for its profile; a
//! second launch finds it there, asks it to open its window, and exits. The socket is in
//! `$XDG_RUNTIME_DIR` (the user's own, mode 0700), and all it takes is "open".

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a launch found.
pub enum Claim {
    /// This launch is the profile's monitor; the listener hears later launches.
    First(Listener),
    /// A monitor runs for this profile already and has been asked to show its window.
    HandedOver,
}

pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("cannot listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the monitor already running for this profile did not answer ({0}); if it hangs, end it and start again")]
    NoAnswer(std::io::Error),
}

/// The socket of the profile whose folder is `data_dir`: one name per profile, short enough for
/// a socket address wherever the profile is.
fn socket_path(data_dir: &Path, runtime_dir: Option<&std::ffi::OsStr>) -> PathBuf {
    let canonical = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    // FNV-1a: stable across builds and Rust versions, unlike the standard library's hasher,
    // so every version of the app finds the same socket.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in canonical.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let name = format!("llm-health-monitor-{hash:016x}.sock");
    match runtime_dir.filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join(name),
        None => canonical.join("monitor.sock"),
    }
}

pub fn claim(data_dir: &Path) -> Result<Claim, InstanceError> {
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR");
    claim_at(socket_path(data_dir, runtime_dir.as_deref()))
}

fn claim_at(path: PathBuf) -> Result<Claim, InstanceError> {
    let listen = |path: &Path| {
        UnixListener::bind(path).map_err(|source| InstanceError::Listen {
            path: path.to_path_buf(),
            source,
        })
    };
    match UnixListener::bind(&path) {
        Ok(listener) => Ok(Claim::First(Listener { listener, path })),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => match hand_over(&path) {
            Ok(()) => Ok(Claim::HandedOver),
            // Left by a monitor that did not stop cleanly: nobody listens.
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                let _ = std::fs::remove_file(&path);
                let listener = listen(&path)?;
                Ok(Claim::First(Listener { listener, path }))
            }
            Err(err) => Err(InstanceError::NoAnswer(err)),
        },
        Err(source) => Err(InstanceError::Listen { path, source }),
    }
}

fn hand_over(path: &Path) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"open\n")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    match answer.trim() {
        "ok" => Ok(()),
        other => Err(std::io::Error::other(format!("it said {other:?}"))),
    }
}

impl Listener {
    /// Hears later launches on the runtime, calling `open` for each; the socket goes when the
    /// returned guard is dropped (a clean quit).
    pub fn serve(
        self,
        runtime: &tokio::runtime::Handle,
        open: impl Fn() + Send + Sync + 'static,
    ) -> SocketFile {
        let path = self.path.clone();
        let _entered = runtime.enter();
        let listener = self
            .listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::UnixListener::from_std(self.listener));
        match listener {
            Ok(listener) => {
                runtime.spawn(async move {
                    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
                    while let Ok((stream, _)) = listener.accept().await {
                        let (read, mut write) = stream.into_split();
                        let mut line = String::new();
                        let heard = tokio::time::timeout(
                            Duration::from_secs(5),
                            tokio::io::BufReader::new(read).read_line(&mut line),
                        )
                        .await;
                        if matches!(heard, Ok(Ok(_))) && line.trim() == "open" {
                            open();
                            let _ = write.write_all(b"ok\n").await;
                        }
                    }
                });
            }
            Err(err) => tracing::warn!("a second launch will not find this one: {err}"),
        }
        SocketFile(path)
    }
}

/// Removes the socket when the monitor ends.
pub struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_launch_hands_over_and_a_stale_socket_is_taken_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = socket_path(dir.path(), Some(dir.path().as_os_str()));
        assert_eq!(path, socket_path(dir.path(), Some(dir.path().as_os_str())));
        let Claim::First(listener) = claim_at(path.clone()).expect("first") else {
            panic!("the first launch must be first");
        };
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = opened.clone();
        let socket = listener.serve(&tokio::runtime::Handle::current(), move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let again = path.clone();
        let second = tokio::task::spawn_blocking(move || claim_at(again))
            .await
            .expect("join")
            .expect("second");
        assert!(matches!(second, Claim::HandedOver));
        assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 1);
        drop(socket);

        // A socket file nobody listens on (a crash) does not stop the next start.
        drop(UnixListener::bind(&path).expect("stale"));
        assert!(path.exists());
        assert!(matches!(
            claim_at(path).expect("taken over"),
            Claim::First(_)
        ));
    }
}
