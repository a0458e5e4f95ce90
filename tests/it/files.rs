//! Every file the library opens goes through one bounded reader ([`Limits::read`]):
//! regular files only, never more than the size limit; and directories are walked
//! without following links to directories, each file read once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use troubletree::{Catalogue, Code, Directory, Limits, LoadError, Loader, Tree};

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "troubletree-files-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("a scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const TREE: &str = r#"Tree(id: "t", start: "end", nodes: [Resolve(id: "end", text: "Done.")])"#;

fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn the_reader_refuses_what_is_not_a_regular_file() {
    let scratch = Scratch::new("kinds");
    let limits = Limits::default();
    assert!(matches!(
        limits.read(&scratch.0),
        Err(LoadError::NotAFile { .. })
    ));
    #[cfg(unix)]
    {
        assert!(matches!(
            limits.read("/dev/zero"),
            Err(LoadError::NotAFile { .. })
        ));
        mkfifo(&scratch.path("pipe.ron"));
        let e = limits.read(scratch.path("pipe.ron")).unwrap_err();
        assert!(matches!(e, LoadError::NotAFile { .. }));
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // Every loader goes through it.
        assert!(matches!(
            Tree::from_path(scratch.path("pipe.ron")),
            Err(LoadError::NotAFile { .. })
        ));
        assert!(matches!(
            Directory::from_path("/dev/zero"),
            Err(LoadError::NotAFile { .. })
        ));
        let catalogue = Catalogue::from_dir("trees").expect("the shipped trees");
        assert!(matches!(
            troubletree::Loader::new().scenarios(&catalogue, &["/dev/zero"]),
            Err(LoadError::NotAFile { .. })
        ));
    }
    assert!(matches!(
        limits.read(scratch.path("missing.ron")),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn the_reader_never_reads_past_the_limit() {
    let scratch = Scratch::new("limit");
    let big = scratch.path("big.ron");
    sparse(&big, 1 << 30);
    let e = Limits::default().read(&big).unwrap_err();
    assert!(
        matches!(e, LoadError::TooLarge { limit, .. } if limit == 16 << 20),
        "{e}"
    );
    assert!(e.to_string().contains("larger than the limit"), "{e}");
    assert!(matches!(
        Directory::from_path(&big),
        Err(LoadError::TooLarge { .. })
    ));
    // A tree over the limit is a finding (E016), so that `check` reports it with the rest.
    match Tree::from_path(&big) {
        Err(LoadError::Invalid { findings }) => {
            assert_eq!(findings[0].code, Code::LimitExceeded);
        }
        other => panic!("{other:?}"),
    }
    let exact = scratch.write("exact.ron", "0123456789");
    let ten = Limits::default().max_file_bytes(10);
    assert_eq!(ten.read(&exact).expect("10 bytes"), b"0123456789");
    let nine = Limits::default().max_file_bytes(9);
    assert!(matches!(
        nine.read(&exact),
        Err(LoadError::TooLarge { limit: 9, .. })
    ));
}

#[test]
#[cfg(unix)]
fn a_directory_that_links_to_itself_is_walked_once() {
    let scratch = Scratch::new("loop");
    scratch.write("t.ron", TREE);
    for link in ["a", "b", "c"] {
        std::os::unix::fs::symlink(".", scratch.path(link)).expect("a link");
    }
    let report = Loader::new().check(&[&scratch.0]).expect("checked");
    assert_eq!(report.files, [scratch.path("t.ron")]);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // A link to a file is read like the file, once.
    std::os::unix::fs::symlink("t.ron", scratch.path("u.ron")).expect("a link");
    let report = Loader::new().check(&[&scratch.0]).expect("checked");
    assert_eq!(report.files, [scratch.path("t.ron")]);
}

#[test]
fn a_file_given_twice_is_read_once() {
    let report = Loader::new()
        .check(&["trees", "trees/refund.ron", "trees/../trees/refund.ron"])
        .expect("checked");
    let alone = Loader::new().check(&["trees"]).expect("checked");
    assert_eq!(report.files, alone.files);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.code != Code::DuplicateTree),
        "{:?}",
        report.findings
    );
}

#[test]
fn files_keep_their_sorted_depth_first_order() {
    let scratch = Scratch::new("order");
    std::fs::create_dir_all(scratch.path("b")).expect("a subdirectory");
    let a = scratch.write("a.ron", &TREE.replace("\"t\"", "\"a\""));
    let b = scratch.write("b/x.ron", &TREE.replace("\"t\"", "\"bx\""));
    let c = scratch.write("c.ron", &TREE.replace("\"t\"", "\"c\""));
    scratch.write("notes.txt", "not a tree");
    let report = Loader::new().check(&[&scratch.0]).expect("checked");
    assert_eq!(report.files, [a, b, c]);
}

/// A file refused before it is read (over the size limit) keeps the catalogue from
/// loading, as any error does: a journey never walks beside a refused file.
#[test]
fn a_file_over_the_limit_refuses_the_catalogue() {
    let dir = std::env::temp_dir().join(format!("troubletree-over-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    std::fs::write(
        dir.join("t.ron"),
        r#"Tree(id: "t", start: "end", nodes: [Resolve(id: "end", text: "Done.")])"#,
    )
    .expect("write");
    std::fs::write(dir.join("big.ron"), vec![b' '; 2048]).expect("write");
    let limits = troubletree::Limits::default().max_file_bytes(1024);
    let report = troubletree::Loader::new()
        .limits(limits.clone())
        .check(&[&dir])
        .expect("readable");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(report.has_errors(), "{:?}", report.findings);
    assert!(
        report.loaded.is_none(),
        "no catalogue beside a refused file"
    );
}
