//! Image references as Docker normalises them (`busybox` → `docker.io/library/busybox:latest`) and
//! the pull policy a container gets by default.

/// A parsed reference: registry host, repository path, tag and/or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// The fully qualified name, `:latest` added when there is neither tag nor digest.
    pub fn normalized(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        match (&self.tag, &self.digest) {
            (Some(t), _) => {
                s.push(':');
                s.push_str(t);
            }
            (None, None) => s.push_str(":latest"),
            _ => {}
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

pub fn parse(image: &str) -> Result<Reference, String> {
    if image.is_empty() || image.trim() != image {
        return Err(format!("invalid image reference {image:?}"));
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d.to_owned())),
        None => (image, None),
    };
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(rest[slash + i + 1..].to_owned())),
        None => (rest, None),
    };
    if name.is_empty() || tag.as_deref() == Some("") {
        return Err(format!("invalid image reference {image:?}"));
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, path))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_owned(), path.to_owned())
        }
        Some(_) => ("docker.io".to_owned(), name.to_owned()),
        None => ("docker.io".to_owned(), format!("library/{name}")),
    };
    if repository.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "invalid reference format: repository name must be lowercase: {image:?}"
        ));
    }
    Ok(Reference {
        registry,
        repository,
        tag,
        digest,
    })
}

/// The fully qualified form, or the input unchanged when it does not parse.
pub fn normalize(image: &str) -> String {
    parse(image)
        .map(|r| r.normalized())
        .unwrap_or_else(|_| image.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

/// The container's policy: as given, else Always for `:latest` (or no tag) and IfNotPresent
/// otherwise — the API server's defaulting, repeated here for objects that skipped it.
pub fn pull_policy(image: &str, given: Option<&str>) -> PullPolicy {
    match given {
        Some("Always") => PullPolicy::Always,
        Some("Never") => PullPolicy::Never,
        Some("IfNotPresent") => PullPolicy::IfNotPresent,
        _ => match parse(image) {
            Ok(r) if r.digest.is_none() && matches!(r.tag.as_deref(), None | Some("latest")) => {
                PullPolicy::Always
            }
            _ => PullPolicy::IfNotPresent,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(normalize("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(normalize("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(normalize("foo/bar"), "docker.io/foo/bar:latest");
        assert_eq!(normalize("localhost:5000/x/y:2"), "localhost:5000/x/y:2");
        assert_eq!(normalize("localhost/x"), "localhost/x:latest");
        assert_eq!(
            normalize("capstan.local/pause:3.10"),
            "capstan.local/pause:3.10"
        );
        assert_eq!(normalize("a.io/b@sha256:abc"), "a.io/b@sha256:abc");
        assert!(parse("Busybox").is_err());
        assert!(parse("x:").is_err());
    }

    #[test]
    fn latest_defaults_to_always() {
        assert_eq!(pull_policy("busybox", None), PullPolicy::Always);
        assert_eq!(pull_policy("busybox:latest", None), PullPolicy::Always);
        assert_eq!(pull_policy("busybox:1", None), PullPolicy::IfNotPresent);
        assert_eq!(
            pull_policy("a.io/b@sha256:00", None),
            PullPolicy::IfNotPresent
        );
        assert_eq!(pull_policy("busybox", Some("Never")), PullPolicy::Never);
        assert_eq!(
            pull_policy("localhost:5000/x", Some("IfNotPresent")),
            PullPolicy::IfNotPresent
        );
    }
}
