//! A minimal ustar writer (directories, regular files, symlinks): enough to build image layers and
//! image archives, with fixed owners and times so the same input gives the same digest.

use std::io::{self, Write};

const BLOCK: usize = 512;
/// Every entry's modification time: fixed, for reproducible digests (2024-01-01T00:00:00Z).
pub const MTIME: u64 = 1_704_067_200;

pub struct TarWriter<W: Write> {
    out: W,
}

fn octal(field: &mut [u8], value: u64) -> io::Result<()> {
    // Width minus the trailing NUL.
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "value too large for a tar header",
        ));
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

/// Splits a path into ustar's (prefix, name) fields.
fn split_path(path: &str) -> io::Result<(&str, &str)> {
    if path.len() <= 100 {
        return Ok(("", path));
    }
    for (i, c) in path.char_indices() {
        if c == '/' && i <= 155 && path.len() - i - 1 <= 100 {
            return Ok((&path[..i], &path[i + 1..]));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("path too long for ustar: {path}"),
    ))
}

fn header(path: &str, mode: u32, size: u64, kind: u8, link: &str) -> io::Result<[u8; BLOCK]> {
    let mut h = [0u8; BLOCK];
    let (prefix, name) = split_path(path)?;
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], u64::from(mode))?;
    octal(&mut h[108..116], 0)?;
    octal(&mut h[116..124], 0)?;
    octal(&mut h[124..136], size)?;
    octal(&mut h[136..148], MTIME)?;
    h[156] = kind;
    if link.len() > 100 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "link target too long",
        ));
    }
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"root");
    h[297..301].copy_from_slice(b"root");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is computed with its own field as spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W) -> TarWriter<W> {
        TarWriter { out }
    }

    pub fn dir(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let path = format!("{}/", path.trim_end_matches('/'));
        self.out.write_all(&header(&path, mode, 0, b'5', "")?)
    }

    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.out
            .write_all(&header(path, mode, data.len() as u64, b'0', "")?)?;
        self.out.write_all(data)?;
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.write_all(&[0u8; BLOCK][..pad])
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.out.write_all(&header(path, 0o777, 0, b'2', target)?)
    }

    /// Writes the two zero blocks that end an archive.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; BLOCK * 2])?;
        Ok(self.out)
    }
}

/// Reads the (path, data) of regular files in an uncompressed tar (for tests and for reading
/// the metadata files of image archives).
pub fn read_files(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + BLOCK <= data.len() {
        let h = &data[at..at + BLOCK];
        if h.iter().all(|b| *b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            let end = f.iter().position(|b| *b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        let name = field(0..100);
        let prefix = field(345..500);
        let size = u64::from_str_radix(field(124..136).trim(), 8).unwrap_or(0) as usize;
        let kind = h[156];
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let start = at + BLOCK;
        let end = (start + size).min(data.len());
        if kind == b'0' || kind == 0 {
            out.push((path.trim_start_matches("./").to_owned(), &data[start..end]));
        }
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_pads() {
        let mut t = TarWriter::new(Vec::new());
        t.dir("bin", 0o755).unwrap();
        t.file("bin/hello", 0o755, b"hello world").unwrap();
        t.symlink("bin/sh", "hello").unwrap();
        let long = format!("{}/file", "d".repeat(120));
        t.file(&long, 0o644, &[7u8; 600]).unwrap();
        let bytes = t.finish().unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        let files = read_files(&bytes);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0], ("bin/hello".to_owned(), &b"hello world"[..]));
        assert_eq!(files[1].0, long);
        assert_eq!(files[1].1.len(), 600);
        // Checksum field as tar(1) writes it.
        let sum: u32 = bytes[..BLOCK]
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(*b)
                }
            })
            .sum();
        let field = std::str::from_utf8(&bytes[148..154]).unwrap();
        assert_eq!(u32::from_str_radix(field, 8).unwrap(), sum);
    }

    #[test]
    fn system_tar_reads_it() {
        let mut t = TarWriter::new(Vec::new());
        t.dir("etc", 0o755).unwrap();
        t.file("etc/motd", 0o644, b"hi\n").unwrap();
        t.symlink("etc/link", "motd").unwrap();
        let bytes = t.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.tar");
        std::fs::write(&file, bytes).unwrap();
        let out = std::process::Command::new("tar")
            .arg("-tvf")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(listing.contains("etc/motd"), "{listing}");
        assert!(listing.contains("etc/link -> motd"), "{listing}");
    }
}
