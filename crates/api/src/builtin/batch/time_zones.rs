//! IANA time zone names, as Go's `time.LoadLocation` resolves them (the list is tzdata 2025b's
//! zones and links, one name a line).

const NAMES: &str = include_str!("time_zones.txt");

/// Go's `time.LoadLocation` without reading any files: `Ok` for names it would load.
pub fn load_location(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "UTC" || name == "Local" {
        return Ok(());
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err("time: invalid location name".into());
    }
    if NAMES.lines().any(|n| n == name) {
        Ok(())
    } else {
        Err(format!("unknown time zone {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_zones() {
        assert!(load_location("America/New_York").is_ok());
        assert!(load_location("Etc/GMT+5").is_ok());
        assert!(load_location("US/Pacific").is_ok());
        assert_eq!(
            load_location("Mars/Olympus"),
            Err("unknown time zone Mars/Olympus".to_string())
        );
        assert_eq!(
            load_location("../etc"),
            Err("time: invalid location name".to_string())
        );
    }
}
