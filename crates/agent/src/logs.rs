//! Container logs in the CRI format containerd writes (`TIMESTAMP STREAM P|F CONTENT` per line,
//! P for a partial line continued by the next), served as `kubectl logs` expects: content only,
//! or prefixed with the timestamp; tailLines, sinceSeconds, limitBytes.

use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<usize>,
    /// Only lines at or after this time (RFC 3339).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// One complete log line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub time: String,
    pub stream: String,
    pub content: String,
}

/// Parses CRI log text into complete lines (joining partial ones); an unterminated partial line
/// at the end is left out (it is still being written).
pub fn parse(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pending: Option<Line> = None;
    for raw in text.split_inclusive('\n') {
        if !raw.ends_with('\n') {
            break;
        }
        let raw = &raw[..raw.len() - 1];
        let mut parts = raw.splitn(4, ' ');
        let (Some(time), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let content = parts.next().unwrap_or("");
        let line = pending.get_or_insert_with(|| Line {
            time: time.to_owned(),
            stream: stream.to_owned(),
            content: String::new(),
        });
        line.content.push_str(content);
        if tag != "P" {
            out.extend(pending.take());
        }
    }
    out
}

/// Renders lines as the API returns them.
pub fn render(lines: &[Line], o: &Options) -> Vec<u8> {
    let mut selected: Vec<&Line> = lines
        .iter()
        .filter(|l| match o.since {
            Some(since) => chrono::DateTime::parse_from_rfc3339(&l.time)
                .map(|t| t.to_utc() >= since)
                .unwrap_or(true),
            None => true,
        })
        .collect();
    if let Some(n) = o.tail_lines {
        let skip = selected.len().saturating_sub(n);
        selected.drain(..skip);
    }
    let mut out = Vec::new();
    for l in selected {
        if o.timestamps {
            out.extend_from_slice(l.time.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(l.content.as_bytes());
        out.push(b'\n');
        if let Some(limit) = o.limit_bytes
            && out.len() >= limit
        {
            out.truncate(limit);
            break;
        }
    }
    out
}

/// The file's complete lines rendered, and how many bytes of it were consumed (the start of an
/// unfinished last line is read again when following).
pub fn read(path: &Path, o: &Options) -> std::io::Result<(Vec<u8>, u64)> {
    let data = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&data);
    let consumed = text.rfind('\n').map(|i| i + 1).unwrap_or(0) as u64;
    Ok((render(&parse(&text), o), consumed))
}

/// The last `lines` lines' content, at most `max_bytes` (for FallbackToLogsOnError).
pub fn tail_text(path: &Path, lines: usize, max_bytes: usize) -> String {
    let o = Options {
        tail_lines: Some(lines),
        ..Default::default()
    };
    let Ok((bytes, _)) = read(path, &o) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(max_bytes);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-01-01T00:00:01.000000001Z stdout F one\n\
2026-01-01T00:00:02.5Z stderr P tw\n\
2026-01-01T00:00:02.6Z stderr F o\n\
2026-01-01T00:00:03Z stdout F three\n\
2026-01-01T00:00:04Z stdout P unfinished";

    #[test]
    fn parses_partial_lines() {
        let lines = parse(LOG);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].content, "two");
        assert_eq!(lines[1].stream, "stderr");
        assert_eq!(
            String::from_utf8(render(&lines, &Options::default())).unwrap(),
            "one\ntwo\nthree\n"
        );
    }

    #[test]
    fn options() {
        let lines = parse(LOG);
        let tail = Options {
            tail_lines: Some(1),
            timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(render(&lines, &tail)).unwrap(),
            "2026-01-01T00:00:03Z three\n"
        );
        let since = Options {
            since: Some(
                chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:02Z")
                    .unwrap()
                    .to_utc(),
            ),
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(render(&lines, &since)).unwrap(),
            "two\nthree\n"
        );
        let limit = Options {
            limit_bytes: Some(5),
            ..Default::default()
        };
        assert_eq!(String::from_utf8(render(&lines, &limit)).unwrap(), "one\nt");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("0.log");
        std::fs::write(&p, LOG).unwrap();
        let (_, consumed) = read(&p, &Options::default()).unwrap();
        assert_eq!(consumed as usize, LOG.rfind('\n').unwrap() + 1);
        assert_eq!(tail_text(&p, 2, 6), "three\n");
    }
}
