//! Whether this browser may be tracked at all: the `disabled` option, the browser's privacy
//! signals (Global Privacy Control, Do Not Track) and the per-browser opt-out that
//! `usage.optOut()` keeps in localStorage. When any says no, the tracker adds no listeners,
//! stores nothing and sends nothing.

use super::env::Store;
use super::io;
use crate::core::config::Config;

/// localStorage key of the opt-out; the page origin's, shared by every site id and tab on it.
pub const OPT_OUT_KEY: &str = "usage-opt-out";

/// Why tracking is off for reasons other than the opt-out (which `optIn()` can lift), if it is.
pub fn fixed_reason(cfg: &Config) -> Option<&'static str> {
    if cfg.disabled {
        Some("disabled by option")
    } else if cfg.honor_gpc && io::gpc() {
        Some("Global Privacy Control is on: not tracking")
    } else if cfg.honor_dnt && io::dnt() {
        Some("Do Not Track is on: not tracking")
    } else {
        cfg.problem()
    }
}

pub fn opted_out() -> bool {
    Store::LOCAL.get(OPT_OUT_KEY).is_some()
}

/// Records (`true`) or lifts the opt-out for this browser.
pub fn set_opted_out(out: bool) {
    if out {
        Store::LOCAL.set(OPT_OUT_KEY, "1");
    } else {
        Store::LOCAL.remove(OPT_OUT_KEY);
    }
}
