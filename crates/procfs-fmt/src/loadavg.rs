//! Load averages: Linux's fixed-point exponential decay (`calc_load`, sampled every 5 seconds) and the text
//! of `/proc/loadavg`.

use alloc::string::String;

const FSHIFT: u32 = 11;
const FIXED_1: u64 = 1 << FSHIFT;
/// 1/exp(5s/1min), 1/exp(5s/5min), 1/exp(5s/15min) in fixed point.
const EXP: [u64; 3] = [1884, 2014, 2037];

/// The 1, 5 and 15 minute load averages, in Linux's fixed point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadAverage {
    avenrun: [u64; 3],
}

impl LoadAverage {
    /// No load yet.
    pub const fn new() -> Self {
        Self { avenrun: [0; 3] }
    }

    /// Folds in one 5-second sample: `active` runnable (and uninterruptible) threads.
    pub fn sample(&mut self, active: u64) {
        let active = active.saturating_mul(FIXED_1);
        for (load, exp) in self.avenrun.iter_mut().zip(EXP) {
            let mut new = *load * exp + active * (FIXED_1 - exp);
            if active >= *load {
                new += FIXED_1 - 1;
            }
            *load = new / FIXED_1;
        }
    }

    /// The three averages in fixed point.
    pub fn raw(&self) -> [u64; 3] {
        self.avenrun
    }
}

/// `/proc/loadavg`: `1.00 0.50 0.20 running/total last_pid`.
pub fn format_loadavg(load: &LoadAverage, running: u64, total: u64, last_pid: u32) -> String {
    let mut out = String::new();
    for value in load.avenrun {
        // Linux's LOAD_INT / LOAD_FRAC, rounding the fraction to hundredths.
        let value = value + FIXED_1 / 200;
        let int = value >> FSHIFT;
        let frac = ((value & (FIXED_1 - 1)) * 100) >> FSHIFT;
        out.push_str(&alloc::format!("{int}.{frac:02} "));
    }
    out.push_str(&alloc::format!("{running}/{total} {last_pid}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_busy_thread_approaches_one() {
        let mut load = LoadAverage::default();
        assert_eq!(format_loadavg(&load, 1, 3, 7), "0.00 0.00 0.00 1/3 7\n");
        load.sample(1);
        // After one sample: 1 - 1884/2048 = 0.08 (Linux shows 0.08 after 5 s of one busy thread).
        assert!(format_loadavg(&load, 1, 3, 7).starts_with("0.08 0.02 0.01 "));
        for _ in 0..1000 {
            load.sample(1);
        }
        assert!(format_loadavg(&load, 1, 3, 7).starts_with("1.00 1.00 1.00 "));
        for _ in 0..1000 {
            load.sample(0);
        }
        assert!(format_loadavg(&load, 1, 3, 7).starts_with("0.00 0.00 0.00 "));
    }
}
