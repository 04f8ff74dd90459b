//! What the machine and the server look like during a run: the load average (other builds on
//! a shared machine skew every figure, so each run records it) and the server's resident memory.

use std::fmt;

/// `/proc/loadavg`'s first three figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

impl fmt::Display for LoadAverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} {:.2} {:.2}", self.one, self.five, self.fifteen)
    }
}

/// The load average now (zeros where `/proc` is not there).
pub fn load_average() -> LoadAverage {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| parse_loadavg(&text))
        .unwrap_or_default()
}

fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().ok());
    Some(LoadAverage {
        one: parts.next()??,
        five: parts.next()??,
        fifteen: parts.next()??,
    })
}

/// Resident memory of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vmrss(&status)
}

fn parse_vmrss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// The machine in one line: cores, and the model of its processor.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown processor".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cores} cores, {model}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let l = parse_loadavg("1.77 0.68 0.26 2/311 1234\n").unwrap();
        assert_eq!((l.one, l.five, l.fifteen), (1.77, 0.68, 0.26));
        assert_eq!(
            parse_vmrss("Name:\trelais\nVmPeak:\t 9000 kB\nVmRSS:\t   41236 kB\n"),
            Some(41236)
        );
        assert_eq!(parse_vmrss("Name: x\n"), None);
    }
}
