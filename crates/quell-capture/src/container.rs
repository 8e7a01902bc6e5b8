//! Container identity from cgroup paths, and container metadata from the
//! runtimes' own files.
//!
//! The matchers follow the layouts the Falco container plugin recognises
//! (capture.md §9.1): docker, cri (containerd/cri-o, incl. systemd scopes),
//! podman (libpod) and plain containerd namespaces. runc-style 64-hex ids are
//! reported truncated to 12 characters. No match means the host (`"host"`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The id Falco reports for processes outside any container.
pub const HOST_ID: &str = "host";

/// A container recognised from a cgroup path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef {
    /// Reported id (12 hex characters for runc-style ids).
    pub id: String,
    /// The full id found in the path.
    pub full_id: String,
    /// Runtime type as Falco names it: `docker`, `cri`, `podman`, `containerd`.
    pub runtime: &'static str,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn runc(full: &str, runtime: &'static str) -> Option<ContainerRef> {
    if is_hex64(full) {
        Some(ContainerRef {
            id: full[..12].to_string(),
            full_id: full.to_string(),
            runtime,
        })
    } else {
        None
    }
}

/// Matches one cgroup path (the part after `hierarchy:controllers:` in
/// `/proc/PID/cgroup`, or a cgroup v2 path) against the known layouts.
pub fn match_cgroup(path: &str) -> Option<ContainerRef> {
    let last = path.rsplit('/').next().unwrap_or("");
    // podman: /libpod-<id>.scope, /libpod-<id>.scope/container, /libpod-payload-<id>
    for seg in path.split('/').rev() {
        for prefix in ["libpod-payload-", "libpod-"] {
            if let Some(rest) = seg.strip_prefix(prefix) {
                let id = rest.strip_suffix(".scope").unwrap_or(rest);
                if let Some(c) = runc(id, "podman") {
                    return Some(c);
                }
            }
        }
    }
    // docker with systemd: docker-<id>.scope; cri-o: crio-<id>(.scope); containerd cri: cri-containerd-<id>.scope;
    // nerdctl-<id>.scope
    for (prefix, runtime) in [
        ("docker-", "docker"),
        ("crio-", "cri-o"),
        ("cri-containerd-", "containerd"),
        ("nerdctl-", "containerd"),
    ] {
        if let Some(rest) = last.strip_prefix(prefix) {
            let id = rest.strip_suffix(".scope").unwrap_or(rest);
            if let Some(c) = runc(id, runtime) {
                return Some(c);
            }
        }
    }
    // cri-containerd with cgroupfs driver: ...:cri-containerd:<id>
    if let Some(pos) = path.rfind(":cri-containerd:") {
        if let Some(c) = runc(&path[pos + ":cri-containerd:".len()..], "containerd") {
            return Some(c);
        }
    }
    // plain /<id> (docker without systemd, /docker/<id>, kubepods/.../<id>)
    if let Some(c) = runc(
        last,
        if path.contains("kubepods") {
            "cri"
        } else {
            "docker"
        },
    ) {
        return Some(c);
    }
    // containerd non-k8s namespaces: /<namespace>/<name> (not .slice/.scope/.service)
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if parts.len() == 2 {
        let (ns, name) = (parts[0], parts[1]);
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
                && !s.ends_with(".slice")
                && !s.ends_with(".scope")
                && !s.ends_with(".service")
        };
        if (ns == "default" || ns == "moby" || ns == "k8s.io") && ok(name) {
            let id = if is_hex64(name) {
                name[..12].to_string()
            } else {
                name.to_string()
            };
            return Some(ContainerRef {
                id,
                full_id: name.to_string(),
                runtime: "containerd",
            });
        }
    }
    None
}

/// Matches every line of a `/proc/PID/cgroup` file (v1 and v2 lines alike)
/// until one names a container.
pub fn match_proc_cgroup(text: &str) -> Option<ContainerRef> {
    text.lines().find_map(|l| {
        let path = l.splitn(3, ':').nth(2)?;
        match_cgroup(path)
    })
}

/// Container metadata a runtime's files give.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerMeta {
    /// `container.name`.
    pub name: Option<String>,
    /// `container.image` (the full reference).
    pub image: Option<String>,
    /// `container.image.repository`.
    pub image_repository: Option<String>,
    /// `container.image.tag`.
    pub image_tag: Option<String>,
    /// `k8s.pod.name`.
    pub pod_name: Option<String>,
    /// `k8s.ns.name`.
    pub pod_namespace: Option<String>,
    /// `k8s.pod.uid`.
    pub pod_uid: Option<String>,
    /// `container.privileged`.
    pub privileged: Option<bool>,
}

/// Splits an image reference into repository and tag (`reg:5000/a/b:tag@sha` → `reg:5000/a/b`, `tag`).
pub fn split_image(image: &str) -> (String, Option<String>) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let slash = no_digest.rfind('/').map(|p| p + 1).unwrap_or(0);
    match no_digest[slash..].rfind(':') {
        Some(c) => (
            no_digest[..slash + c].to_string(),
            Some(no_digest[slash + c + 1..].to_string()),
        ),
        None => (no_digest.to_string(), None),
    }
}

fn json_str(v: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

/// Reads container metadata from the runtime's on-disk state, when it exists:
/// docker `config.v2.json`, containerd/cri-o OCI bundle `config.json`
/// annotations. Results (including "nothing found") are cached per id.
#[derive(Debug)]
pub struct MetadataProvider {
    roots: Vec<PathBuf>,
    cache: HashMap<String, Option<ContainerMeta>>,
}

impl Default for MetadataProvider {
    fn default() -> Self {
        MetadataProvider::with_root(Path::new("/"))
    }
}

impl MetadataProvider {
    /// A provider reading below `root` (for tests; `/` on a host).
    pub fn with_root(root: &Path) -> Self {
        MetadataProvider {
            roots: vec![root.to_path_buf()],
            cache: HashMap::new(),
        }
    }

    /// Metadata for a container, or `None` when no runtime file describes it.
    pub fn get(&mut self, c: &ContainerRef) -> Option<&ContainerMeta> {
        if !self.cache.contains_key(&c.full_id) {
            let m = self.lookup(c);
            self.cache.insert(c.full_id.clone(), m);
        }
        self.cache.get(&c.full_id).and_then(|m| m.as_ref())
    }

    /// The metadata [`MetadataProvider::get`] already looked up for `c` (no file access).
    pub fn cached(&self, c: &ContainerRef) -> Option<&ContainerMeta> {
        self.cache.get(&c.full_id).and_then(|m| m.as_ref())
    }

    fn lookup(&self, c: &ContainerRef) -> Option<ContainerMeta> {
        for root in &self.roots {
            let dir = root.join("var/lib/docker/containers").join(&c.full_id);
            if let Some(mut m) = read_json(&dir.join("config.v2.json")).map(|v| docker_meta(&v)) {
                // Docker keeps the host configuration (`--privileged`) in
                // hostconfig.json, not in config.v2.json.
                if let Some(p) = read_json(&dir.join("hostconfig.json"))
                    .and_then(|h| h.get("Privileged").and_then(|p| p.as_bool()))
                {
                    m.privileged = Some(p);
                }
                return Some(m);
            }
            for ns in ["k8s.io", "moby", "default"] {
                let p = root
                    .join("run/containerd/io.containerd.runtime.v2.task")
                    .join(ns)
                    .join(&c.full_id)
                    .join("config.json");
                if let Some(m) = read_json(&p).map(|v| oci_meta(&v)) {
                    return Some(m);
                }
            }
            // CRI-O and podman: the bundle under the storage run root, or
            // (a container not running, or a root-ful podman) the graph root.
            for base in [
                "run/containers/storage/overlay-containers",
                "var/lib/containers/storage/overlay-containers",
            ] {
                let p = root
                    .join(base)
                    .join(&c.full_id)
                    .join("userdata/config.json");
                if let Some(m) = read_json(&p).map(|v| oci_meta(&v)) {
                    return Some(m);
                }
            }
        }
        None
    }
}

fn read_json(p: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(p).ok()?;
    serde_json::from_str(&text).ok()
}

/// Metadata from a docker `config.v2.json`.
pub fn docker_meta(v: &serde_json::Value) -> ContainerMeta {
    let image = json_str(v, &["Config", "Image"]);
    let (repo, tag) = image
        .as_deref()
        .map(split_image)
        .map(|(r, t)| (Some(r), t))
        .unwrap_or((None, None));
    let labels = v.get("Config").and_then(|c| c.get("Labels"));
    let label = |k: &str| {
        labels
            .and_then(|l| l.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_string)
    };
    ContainerMeta {
        name: json_str(v, &["Name"]).map(|n| n.trim_start_matches('/').to_string()),
        image,
        image_repository: repo,
        image_tag: tag,
        pod_name: label("io.kubernetes.pod.name"),
        pod_namespace: label("io.kubernetes.pod.namespace"),
        pod_uid: label("io.kubernetes.pod.uid"),
        privileged: v
            .get("HostConfig")
            .and_then(|h| h.get("Privileged"))
            .and_then(|p| p.as_bool()),
    }
}

/// Metadata from an OCI bundle `config.json` (containerd CRI / cri-o annotations).
pub fn oci_meta(v: &serde_json::Value) -> ContainerMeta {
    let ann = v.get("annotations");
    let a = |k: &str| {
        ann.and_then(|l| l.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_string)
    };
    let image = a("io.kubernetes.cri.image-name").or_else(|| a("io.kubernetes.cri-o.ImageName"));
    let (repo, tag) = image
        .as_deref()
        .map(split_image)
        .map(|(r, t)| (Some(r), t))
        .unwrap_or((None, None));
    ContainerMeta {
        name: a("io.kubernetes.cri.container-name").or_else(|| a("io.kubernetes.container.name")),
        image,
        image_repository: repo,
        image_tag: tag,
        pod_name: a("io.kubernetes.cri.sandbox-name").or_else(|| a("io.kubernetes.pod.name")),
        pod_namespace: a("io.kubernetes.cri.sandbox-namespace")
            .or_else(|| a("io.kubernetes.pod.namespace")),
        pod_uid: a("io.kubernetes.cri.sandbox-uid").or_else(|| a("io.kubernetes.pod.uid")),
        privileged: oci_privileged(v),
    }
}

/// Whether the container an OCI runtime spec (`config.json`) describes is
/// privileged, or `None` when the spec does not say.
///
/// Podman records `--privileged` as the annotation
/// `io.podman.annotations.privileged` (`TRUE`). containerd's CRI plugin and
/// CRI-O keep the CRI `privileged` flag in their own databases and report it
/// over the CRI API (where libsinsp read it: `config.linux.security_context.privileged`
/// for containerd, `privileged` for CRI-O); what reaches the bundle is what
/// the flag does to the spec, the same for both (and for Docker): every
/// capability in the bounding set, no masked and no read-only paths, and a
/// device cgroup rule allowing every device. A spec with all four is
/// privileged; a spec with process capabilities and masked paths, or without
/// `CAP_SYS_ADMIN`, is not; a spec without process capabilities says nothing.
/// (CRI-O's `io.kubernetes.cri-o.PrivilegedRuntime` annotation is the pod
/// sandbox's flag, not the container's, and is not used.)
pub fn oci_privileged(v: &serde_json::Value) -> Option<bool> {
    if let Some(p) = v
        .get("annotations")
        .and_then(|a| a.get("io.podman.annotations.privileged"))
        .and_then(|x| x.as_str())
    {
        return Some(p.eq_ignore_ascii_case("true"));
    }
    let bounding = v
        .get("process")?
        .get("capabilities")?
        .get("bounding")?
        .as_array()?;
    let has_sys_admin = bounding.iter().any(|c| c.as_str() == Some("CAP_SYS_ADMIN"));
    let linux = v.get("linux");
    let empty = |k: &str| {
        linux
            .and_then(|l| l.get(k))
            .and_then(|x| x.as_array())
            .is_none_or(|a| a.is_empty())
    };
    let all_devices = linux
        .and_then(|l| l.get("resources"))
        .and_then(|r| r.get("devices"))
        .and_then(|d| d.as_array())
        .is_some_and(|rules| {
            rules.iter().any(|r| {
                r.get("allow").and_then(|a| a.as_bool()) == Some(true)
                    && r.get("type")
                        .and_then(|t| t.as_str())
                        .is_none_or(|t| t == "a")
                    && r.get("major")
                        .is_none_or(|m| m.is_null() || m.as_i64() == Some(-1))
                    && r.get("minor")
                        .is_none_or(|m| m.is_null() || m.as_i64() == Some(-1))
                    && r.get("access").and_then(|a| a.as_str()) == Some("rwm")
            })
        });
    Some(has_sys_admin && empty("maskedPaths") && empty("readonlyPaths") && all_devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8a3e0f4bd1c9e2a7b6f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291807";

    #[test]
    fn plugin_test_vectors() {
        let m = |p: &str| match_cgroup(p).map(|c| c.id);
        assert_eq!(
            m(&format!("/kubepods/besteffort/pod3b2f/{ID}")),
            Some(ID[..12].to_string())
        );
        assert_eq!(
            m(&format!(
                "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod63b3ebfc_2890_11e9_8154_16bf8ef8d9dc.slice/crio-{ID}.scope"
            )),
            Some(ID[..12].to_string())
        );
        assert_eq!(
            m(&format!(
                "/kubepods-burstable-pod1234.slice:cri-containerd:{ID}"
            )),
            Some(ID[..12].to_string())
        );
        assert_eq!(
            m(&format!("/docker.slice/docker-{ID}.scope")),
            Some(ID[..12].to_string())
        );
        assert_eq!(
            m(&format!("/system.slice/nerdctl-{ID}.scope")),
            Some(ID[..12].to_string())
        );
        assert_eq!(
            m(&format!("/machine.slice/libpod-{ID}.scope/container")),
            Some(ID[..12].to_string())
        );
        assert_eq!(m(&format!("/docker/{ID}")), Some(ID[..12].to_string()));
        assert_eq!(m("/"), None);
        assert_eq!(
            m("/user.slice/user-1000.slice/user@1000.service/init.scope"),
            None
        );
        assert_eq!(
            m("/process_api/dc315126ca05da4592aebbca2063389f"),
            None,
            "32 hex is not a runc id"
        );
        assert_eq!(m("/docker-abc.scope"), None);
    }

    #[test]
    fn runtimes_and_namespaces() {
        assert_eq!(
            match_cgroup(&format!("/docker-{ID}.scope"))
                .unwrap()
                .runtime,
            "docker"
        );
        assert_eq!(
            match_cgroup(&format!("/libpod-{ID}.scope"))
                .unwrap()
                .runtime,
            "podman"
        );
        let c = match_cgroup("/default/web1").unwrap();
        assert_eq!((c.id.as_str(), c.runtime), ("web1", "containerd"));
        assert_eq!(match_cgroup("/system.slice/cron.service"), None);
    }

    #[test]
    fn proc_cgroup_lines() {
        let text = format!("12:pids:/\n4:memory:/process_api/abc\n0::/docker/{ID}\n");
        assert_eq!(match_proc_cgroup(&text).unwrap().id, &ID[..12]);
        assert_eq!(match_proc_cgroup("0::/\n1:cpu:/\n"), None);
        assert_eq!(match_proc_cgroup("garbage"), None);
    }

    #[test]
    fn image_split() {
        assert_eq!(split_image("nginx"), ("nginx".into(), None));
        assert_eq!(
            split_image("nginx:1.25"),
            ("nginx".into(), Some("1.25".into()))
        );
        assert_eq!(
            split_image("reg:5000/a/b:t@sha256:00"),
            ("reg:5000/a/b".into(), Some("t".into()))
        );
        assert_eq!(split_image("reg:5000/a/b"), ("reg:5000/a/b".into(), None));
    }

    /// Docker writes `HostConfig` to hostconfig.json next to config.v2.json.
    #[test]
    fn docker_privileged_comes_from_hostconfig_json() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("var/lib/docker/containers").join(ID);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.v2.json"),
            r#"{"Name":"/dbg","Config":{"Image":"debian:12"}}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("hostconfig.json"),
            r#"{"Binds":null,"NetworkMode":"bridge","Privileged":true}"#,
        )
        .unwrap();
        let c = match_cgroup(&format!("/docker/{ID}")).unwrap();
        let mut p = MetadataProvider::with_root(dir.path());
        assert_eq!(p.get(&c).unwrap().privileged, Some(true));
        std::fs::write(d.join("hostconfig.json"), r#"{"Privileged":false}"#).unwrap();
        let mut p = MetadataProvider::with_root(dir.path());
        assert_eq!(p.get(&c).unwrap().privileged, Some(false));
        // no hostconfig.json: unknown, never a guessed false
        std::fs::remove_file(d.join("hostconfig.json")).unwrap();
        let mut p = MetadataProvider::with_root(dir.path());
        assert_eq!(p.get(&c).unwrap().privileged, None);
    }

    /// An OCI runtime spec as containerd's CRI plugin and CRI-O write it, privileged or not.
    fn oci_spec(privileged: bool) -> String {
        let all_caps = r#"["CAP_CHOWN","CAP_SYS_ADMIN","CAP_NET_ADMIN","CAP_SYS_MODULE"]"#;
        let default_caps = r#"["CAP_CHOWN","CAP_NET_BIND_SERVICE","CAP_KILL"]"#;
        let (caps, masked, ro, devices) = if privileged {
            (all_caps, "", "", r#"[{"allow":true,"access":"rwm"}]"#)
        } else {
            (
                default_caps,
                r#""maskedPaths":["/proc/kcore","/sys/firmware"],"#,
                r#""readonlyPaths":["/proc/sys"],"#,
                r#"[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]"#,
            )
        };
        format!(
            r#"{{"ociVersion":"1.1.0","process":{{"capabilities":{{"bounding":{caps},"effective":{caps}}}}},
            "linux":{{{masked}{ro}"resources":{{"devices":{devices}}}}},
            "annotations":{{"io.kubernetes.cri.container-name":"dbg","io.kubernetes.cri.sandbox-name":"pod1",
            "io.kubernetes.cri.image-name":"docker.io/library/debian:12"}}}}"#
        )
    }

    /// containerd (task bundle under /run/containerd) and CRI-O (storage
    /// run root, or the graph root under /var/lib/containers): the bundle's
    /// spec tells a privileged container from another; podman's annotation
    /// is read as written.
    #[test]
    fn cri_privileged_comes_from_the_oci_bundle() {
        let c = match_cgroup(&format!("/kubepods/besteffort/pod3b2f/{ID}")).unwrap();
        for bundle in [
            format!("run/containerd/io.containerd.runtime.v2.task/k8s.io/{ID}"),
            format!("run/containers/storage/overlay-containers/{ID}/userdata"),
            format!("var/lib/containers/storage/overlay-containers/{ID}/userdata"),
        ] {
            for privileged in [true, false] {
                let dir = tempfile::tempdir().unwrap();
                let d = dir.path().join(&bundle);
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join("config.json"), oci_spec(privileged)).unwrap();
                let mut p = MetadataProvider::with_root(dir.path());
                let m = p.get(&c).unwrap();
                assert_eq!(m.privileged, Some(privileged), "{bundle}");
                assert_eq!(m.name.as_deref(), Some("dbg"), "{bundle}");
            }
        }
        // one missing mark of privilege (masked paths kept): not privileged
        let mut v: serde_json::Value = serde_json::from_str(&oci_spec(true)).unwrap();
        v["linux"]["maskedPaths"] = serde_json::json!(["/proc/kcore"]);
        assert_eq!(oci_privileged(&v), Some(false));
        let mut v: serde_json::Value = serde_json::from_str(&oci_spec(true)).unwrap();
        v["linux"]["resources"]["devices"] = serde_json::json!([{"allow": false, "access": "rwm"}]);
        assert_eq!(oci_privileged(&v), Some(false));
        // a spec without process capabilities says nothing
        assert_eq!(oci_privileged(&serde_json::json!({"linux": {}})), None);
        assert_eq!(oci_privileged(&serde_json::json!({"process": "x"})), None);
        // podman's annotation
        let pod =
            |s: &str| serde_json::json!({"annotations": {"io.podman.annotations.privileged": s}});
        assert_eq!(oci_privileged(&pod("TRUE")), Some(true));
        assert_eq!(oci_privileged(&pod("FALSE")), Some(false));
    }

    #[test]
    fn metadata_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("var/lib/docker/containers").join(ID);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.v2.json"),
            r#"{"Name":"/web","Config":{"Image":"docker.io/library/nginx:1.25","Labels":{"io.kubernetes.pod.name":"p1"}},"HostConfig":{"Privileged":true}}"#,
        )
        .unwrap();
        let mut p = MetadataProvider::with_root(dir.path());
        let c = match_cgroup(&format!("/docker/{ID}")).unwrap();
        let m = p.get(&c).unwrap().clone();
        assert_eq!(m.name.as_deref(), Some("web"));
        assert_eq!(
            m.image_repository.as_deref(),
            Some("docker.io/library/nginx")
        );
        assert_eq!(m.image_tag.as_deref(), Some("1.25"));
        assert_eq!(m.pod_name.as_deref(), Some("p1"));
        assert_eq!(m.privileged, Some(true));
        let other = ContainerRef {
            id: "x".into(),
            full_id: "x".into(),
            runtime: "docker",
        };
        assert!(p.get(&other).is_none(), "no files: fields stay missing");
    }
}
