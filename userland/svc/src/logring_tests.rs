use super::*;

#[test]
fn lines_are_split_across_reads_and_long_lines_are_cut() {
    let mut splitter = LineSplitter::default();
    assert!(splitter.push(b"hel").is_empty());
    assert_eq!(splitter.push(b"lo\nwor"), ["hello"]);
    assert_eq!(splitter.push(b"ld\n\n"), ["world", ""]);
    assert_eq!(splitter.push(b"tail"), Vec::<String>::new());
    assert_eq!(splitter.finish().as_deref(), Some("tail"));
    assert_eq!(splitter.finish(), None);
    let long = vec![b'x'; MAX_LINE + 10];
    let lines = splitter.push(&long);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].len(), MAX_LINE);
    assert_eq!(splitter.push(b"\xff\n"), ["xxxxxxxxxx\u{fffd}"]);
}

#[test]
fn the_ring_keeps_the_last_lines() {
    let mut ring = LogRing::new(3);
    for i in 0..5 {
        ring.push(format!("{i}"));
    }
    assert_eq!(ring.tail(10), ["2", "3", "4"]);
    assert_eq!(ring.tail(1), ["4"]);
    ring.set_capacity(2);
    assert_eq!(ring.tail(10), ["3", "4"]);
}

#[test]
fn files_rotate_and_keep_that_many_old_copies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.log");
    let mut file = RotatingFile::new(path.clone(), 10, 2);
    for line in ["aaaa", "bbbb", "cccc", "dddd", "eeee"] {
        file.write_line(line).expect("write");
    }
    let read = |p: &Path| std::fs::read_to_string(p).expect("read");
    assert_eq!(read(&path), "eeee\n");
    assert_eq!(read(&dir.path().join("s.log.1")), "cccc\ndddd\n");
    assert_eq!(read(&dir.path().join("s.log.2")), "aaaa\nbbbb\n");
    assert!(!dir.path().join("s.log.3").exists());
}

#[test]
fn an_existing_file_counts_and_keep_zero_truncates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.log");
    std::fs::write(&path, "old old\n").expect("write");
    let mut file = RotatingFile::new(path.clone(), 10, 0);
    file.write_line("new").expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "new\n");
    assert!(!dir.path().join("s.log.1").exists());
    // A line longer than the limit still gets written (into a file of its own).
    file.write_line("a very long line").expect("write");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "a very long line\n"
    );
}
