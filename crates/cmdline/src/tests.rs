//! Behaviour tests for command line parsing, including a randomized comparison against a
//! model of Linux's in-place `next_arg` algorithm.

use crate::{Cmdline, CmdlineError, Param};
use std::string::{String, ToString};
use std::vec::Vec;

fn p<'a>(key: &'a str, value: Option<&'a str>) -> Param<'a> {
    Param { key, value }
}

fn words(text: &str) -> Vec<Param<'_>> {
    Cmdline::parse(text).words().collect()
}

fn strings<'a>(params: impl Iterator<Item = Param<'a>>) -> Vec<String> {
    params.map(|param| param.to_string()).collect()
}

#[test]
fn splits_on_all_whitespace_kinds() {
    assert_eq!(
        words("  a\tb=1\n\nc \r d\x0Be\x0Cf  "),
        [
            p("a", None),
            p("b", Some("1")),
            p("c", None),
            p("d", None),
            p("e", None),
            p("f", None)
        ]
    );
    assert!(words("").is_empty());
    assert!(words(" \t\n ").is_empty());
}

#[test]
fn splits_at_first_equals_only() {
    assert_eq!(words("a=b=c"), [p("a", Some("b=c"))]);
    assert_eq!(words("key="), [p("key", Some(""))]);
    // A leading `=` stays in the name, as in Linux.
    assert_eq!(words("=x"), [p("=x", None)]);
    assert_eq!(words("==x"), [p("=", Some("x"))]);
}

#[test]
fn quotes_group_and_are_removed() {
    assert_eq!(
        words(r#"key="a b" next"#),
        [p("key", Some("a b")), p("next", None)]
    );
    assert_eq!(words(r#""a b" c"#), [p("a b", None), p("c", None)]);
    assert_eq!(words(r#""key=a b""#), [p("key", Some("a b"))]);
    assert_eq!(words(r#"key="""#), [p("key", Some(""))]);
    assert_eq!(words(r#"key=""#), [p("key", Some(""))]);
    assert_eq!(words(r#""""#), [p("", None)]);
    // Quotes in the middle of a word group but are kept, like Linux.
    assert_eq!(words(r#"a"b c"d e"#), [p(r#"a"b c"d"#, None), p("e", None)]);
}

#[test]
fn unterminated_quote_runs_to_end_of_line() {
    assert_eq!(
        words(r#"x=1 key="a b  c"#),
        [p("x", Some("1")), p("key", Some("a b  c"))]
    );
    assert_eq!(words(r#""open word"#), [p("open word", None)]);
}

#[test]
fn separator_splits_kernel_params_from_init_words() {
    let cmdline = Cmdline::parse(r#"console=ttyS0 -- -v "x y" k=v -- z"#);
    assert_eq!(
        cmdline.params().collect::<Vec<_>>(),
        [p("console", Some("ttyS0"))]
    );
    assert_eq!(
        strings(cmdline.after_separator()),
        ["-v", "x y", "k=v", "--", "z"]
    );
    // `--=x` and `"--"` behave like Linux: only a value-less `--` separates.
    let valued = Cmdline::parse("--=x a");
    assert_eq!(valued.params().count(), 2);
    let quoted = Cmdline::parse(r#"a "--" b"#);
    assert_eq!(strings(quoted.after_separator()), ["b"]);
}

#[test]
fn get_returns_last_valued_occurrence_before_separator() {
    let cmdline = Cmdline::parse("root=/dev/a root root=/dev/b rw -- root=/dev/c");
    assert_eq!(cmdline.get("root"), Some("/dev/b"));
    assert_eq!(cmdline.get("rw"), None);
    assert_eq!(cmdline.get("missing"), None);
    assert!(cmdline.flag("rw"));
    assert!(cmdline.flag("root"));
    assert!(!cmdline.flag("ro"));
    assert_eq!(
        cmdline.as_str(),
        "root=/dev/a root root=/dev/b rw -- root=/dev/c"
    );
}

#[test]
fn loglevel_parses_range_and_quiet_default() {
    assert_eq!(Cmdline::parse("").loglevel(), Ok(None));
    assert_eq!(Cmdline::parse("loglevel=7").loglevel(), Ok(Some(7)));
    assert_eq!(
        Cmdline::parse("loglevel=0 loglevel=3").loglevel(),
        Ok(Some(3))
    );
    assert_eq!(Cmdline::parse("quiet").loglevel(), Ok(Some(4)));
    assert_eq!(Cmdline::parse("quiet loglevel=6").loglevel(), Ok(Some(6)));
    assert_eq!(
        Cmdline::parse("loglevel=8").loglevel(),
        Err(CmdlineError::InvalidValue {
            key: "loglevel",
            value: "8"
        })
    );
    assert_eq!(
        Cmdline::parse("loglevel=x").loglevel(),
        Err(CmdlineError::InvalidValue {
            key: "loglevel",
            value: "x"
        })
    );
    assert_eq!(
        Cmdline::parse("loglevel=").loglevel(),
        Err(CmdlineError::InvalidValue {
            key: "loglevel",
            value: ""
        })
    );
    assert_eq!(
        Cmdline::parse("loglevel").loglevel(),
        Err(CmdlineError::MissingValue { key: "loglevel" })
    );
    let error = Cmdline::parse("loglevel=99").loglevel().unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid value `99` for kernel parameter `loglevel`"
    );
}

#[test]
fn unknown_params_are_split_into_init_argv_and_envp() {
    let cmdline = Cmdline::parse(
        r#"BOOT_IMAGE=/vmlinuz console=ttyS0 single basalt.trace=1 foo.bar=2 foo.baz TERM="vt 100" quiet -- -x"#,
    );
    assert_eq!(
        strings(cmdline.unknown()),
        [
            "BOOT_IMAGE=/vmlinuz",
            "single",
            "foo.bar=2",
            "foo.baz",
            "TERM=vt 100"
        ]
    );
    assert_eq!(strings(cmdline.init_args()), ["single", "-x"]);
    assert_eq!(
        strings(cmdline.init_env()),
        ["BOOT_IMAGE=/vmlinuz", "TERM=vt 100"]
    );
}

#[test]
fn non_ascii_text_is_preserved() {
    let cmdline = Cmdline::parse("name=héllo \"ü v\" ☃");
    assert_eq!(strings(cmdline.words()), ["name=héllo", "ü v", "☃"]);
}

/// Linux's algorithm, modelled on a NUL-terminated byte buffer that is edited in place
/// (the C code terminates key and value by overwriting bytes with NUL).
fn linux_model(text: &str) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let is_space = |byte: u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C);
    let c_string = |buffer: &[u8], at: usize| -> Vec<u8> {
        buffer[at..]
            .iter()
            .copied()
            .take_while(|&byte| byte != 0)
            .collect()
    };
    let mut buffer: Vec<u8> = text.bytes().collect();
    buffer.push(0);
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        while is_space(buffer[cursor]) {
            cursor += 1;
        }
        if buffer[cursor] == 0 {
            return out;
        }
        let mut word = cursor;
        let mut in_quote = false;
        let quoted = buffer[word] == b'"';
        if quoted {
            word += 1;
            in_quote = true;
        }
        let mut length = 0;
        let mut equals = 0;
        while buffer[word + length] != 0 {
            let byte = buffer[word + length];
            if is_space(byte) && !in_quote {
                break;
            }
            if equals == 0 && byte == b'=' {
                equals = length;
            }
            if byte == b'"' {
                in_quote = !in_quote;
            }
            length += 1;
        }
        let mut value = None;
        if equals != 0 {
            buffer[word + equals] = 0;
            let mut value_at = word + equals + 1;
            if buffer[value_at] == b'"' {
                value_at += 1;
                if buffer[word + length - 1] == b'"' {
                    buffer[word + length - 1] = 0;
                }
            }
            value = Some(value_at);
        }
        if quoted && length > 0 && buffer[word + length - 1] == b'"' {
            buffer[word + length - 1] = 0;
        }
        let next = if buffer[word + length] != 0 {
            buffer[word + length] = 0;
            word + length + 1
        } else {
            word + length
        };
        out.push((
            c_string(&buffer, word),
            value.map(|at| c_string(&buffer, at)),
        ));
        cursor = next;
    }
}

/// xorshift64* so the randomized test is deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

fn is_within(outer: &str, inner: &str) -> bool {
    let outer_range = outer.as_ptr() as usize..=outer.as_ptr() as usize + outer.len();
    outer_range.contains(&(inner.as_ptr() as usize))
        && outer_range.contains(&(inner.as_ptr() as usize + inner.len()))
}

#[test]
fn randomized_strings_match_linux_model_and_keep_invariants() {
    const PIECES: &[&str] = &[
        " ", " ", "\t", "\n", "\"", "\"", "=", "=", "a", "b", "k", "--", "-", ".", "quiet",
        "loglevel", "basalt.", "é",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..rng.below(16) {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let cmdline = Cmdline::parse(&text);
        let all: Vec<Param<'_>> = cmdline.words().collect();

        let model = linux_model(&text);
        let ours: Vec<(Vec<u8>, Option<Vec<u8>>)> = all
            .iter()
            .map(|param| {
                (
                    param.key.as_bytes().to_vec(),
                    param.value.map(|v| v.as_bytes().to_vec()),
                )
            })
            .collect();
        assert_eq!(ours, model, "text {text:?}");

        for param in &all {
            assert!(is_within(&text, param.key), "text {text:?}");
            if let Some(value) = param.value {
                assert!(is_within(&text, value), "text {text:?}");
            }
        }

        let params: Vec<Param<'_>> = cmdline.params().collect();
        let after: Vec<Param<'_>> = cmdline.after_separator().collect();
        let separated = params.len() < all.len();
        assert_eq!(
            params.len() + after.len() + usize::from(separated),
            all.len()
        );

        for key in ["a", "k", "quiet", "loglevel", "--"] {
            let expected = params
                .iter()
                .filter(|param| param.key == key)
                .filter_map(|param| param.value)
                .next_back();
            assert_eq!(cmdline.get(key), expected);
            assert_eq!(
                cmdline.flag(key),
                params.iter().any(|param| param.key == key)
            );
        }
        match cmdline.loglevel() {
            Ok(Some(level)) => assert!(level <= 7),
            Ok(None) => assert!(!cmdline.flag("loglevel") && !cmdline.flag("quiet")),
            Err(_) => assert!(cmdline.flag("loglevel")),
        }

        let args: Vec<Param<'_>> = cmdline.init_args().collect();
        let env: Vec<Param<'_>> = cmdline.init_env().collect();
        assert!(env
            .iter()
            .all(|param| param.value.is_some() && !param.key.contains('.')));
        let bare_unknown = cmdline
            .unknown()
            .filter(|param| param.value.is_none() && !param.key.contains('.'))
            .count();
        assert_eq!(args.len(), bare_unknown + after.len());
        assert!(cmdline
            .unknown()
            .all(|param| !crate::is_known_key(param.key)));
    }
}
