//! Keeping test servers from outliving the test process.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A small `sh` loop that kills process group `group` (and deletes `cleanup`) as soon as the
/// test process or the group is gone: a test binary killed with SIGKILL, or aborted, runs no
/// `Drop`. It sits in a process group of its own, so that a Ctrl-C aimed at the test run does
/// not kill it before it has done its work. Dropping it stops it.
pub(crate) struct Watchdog(Child);

impl Watchdog {
    pub(crate) fn start(group: u32, cleanup: Option<&Path>, what: &str) -> Option<Watchdog> {
        let remove = cleanup
            .map(|dir| format!("; sleep 0.2; rm -rf '{}'", dir.display()))
            .unwrap_or_default();
        let script = format!(
            // dash's `kill` takes `-GROUP` after the signal, but not `--`.
            "while kill -0 {test} 2>/dev/null && kill -0 -{group} 2>/dev/null; do sleep 0.5; done; \
             kill -KILL -{group} 2>/dev/null{remove}",
            test = std::process::id(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map(Watchdog)
            .map_err(|error| eprintln!("{what}: no watchdog: {error}"))
            .ok()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // The whole group, so that its `sleep` does not linger either.
        kill_group(self.0.id());
        let _ = self.0.wait();
    }
}

pub(crate) fn kill_group(group: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}
