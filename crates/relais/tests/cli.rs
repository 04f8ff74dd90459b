//! The binary as an operator runs it, each test on a SQLite database in its own `--data-dir`:
//! tokens, password resets, and what the commands print (no log lines, one-line errors).

use relais_domain::credentials::verify_password;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

/// A data folder, and the binary run on it.
struct Relais {
    dir: tempfile::TempDir,
}

impl Relais {
    fn new() -> Relais {
        Relais {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Run `relais --data-dir DIR ARGS...`, with `stdin` as its standard input.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.run_in(args, stdin, &[])
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, "", &[])
    }

    fn run_in(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_relais"));
        command
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(args)
            // Away from a ./relais.toml, and from the settings of whoever runs the tests.
            .current_dir(self.dir.path())
            .env_remove("RELAIS_CONFIG")
            .env_remove("RELAIS_LOG")
            .env_remove("RELAIS_LOG_LEVEL")
            .env_remove("RELAIS_DATABASE_URL")
            .env_remove("RELAIS_DATABASE_URL_FILE")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("relais runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().expect("relais ends")
    }

    /// Run a command that must succeed; answers its standard output.
    fn ok(&self, args: &[&str]) -> String {
        self.ok_with_stdin(args, "")
    }

    fn ok_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run_with_stdin(args, stdin);
        assert!(
            output.status.success(),
            "relais {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "",
            "relais {args:?} wrote to standard error"
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Run a command that must fail; answers its standard error, which must be one line.
    fn fails(&self, args: &[&str]) -> String {
        failure(args, self.run(args))
    }

    fn admin(&self, email: &str) {
        self.ok_with_stdin(
            &["admin", "create", "--email", email, "--password-stdin"],
            PASSWORD,
        );
    }

    /// The password hash stored for `email`.
    fn password_hash(&self, email: &str) -> String {
        block_on(async {
            let db = database(&self.dir.path().join("data")).await;
            relais_store::users::find_by_email(&db, email)
                .await
                .unwrap()
                .expect("the user")
                .password_hash
                .expect("a password")
        })
    }
}

/// The standard error of a failed run: exactly one line, starting with `error: `.
fn failure(args: &[&str], output: Output) -> String {
    assert_eq!(output.status.code(), Some(1), "relais {args:?} exit status");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: ") && stderr.ends_with('\n') && stderr.lines().count() == 1,
        "relais {args:?} should fail with one line, wrote {stderr:?}"
    );
    stderr.trim_end().to_owned()
}

async fn database(data_dir: &Path) -> relais_store::Db {
    let url = format!("sqlite://{}?mode=rw", data_dir.join("relais.db").display());
    relais_store::connect(&url, 1).await.expect("the database")
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The lines of `token list` after its header, each split on runs of spaces.
fn token_rows(list: &str) -> Vec<Vec<String>> {
    let mut lines = list.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        [
            "ID", "USER", "LABEL", "CREATED", "EXPIRES", "REVOKED", "LAST", "USED"
        ]
    );
    lines
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    let relais = Relais::new();
    assert_eq!(relais.ok(&["token", "list"]), "no API tokens\n");
    relais.admin("ops@example.com");
    relais.admin("other@example.com");
    let token = relais.ok(&[
        "token",
        "create",
        "--email",
        "ops@example.com",
        "--label",
        "nightly-export",
        "--expires-in-days",
        "30",
    ]);
    let token = token.trim_end();
    let (id, secret) = token.split_once('.').expect("an <id>.<secret> token");
    relais.ok(&["token", "create", "--email", "other@example.com"]);

    let list = relais.ok(&["token", "list"]);
    assert!(!list.contains(secret), "the secret is never listed");
    let rows = token_rows(&list);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][..3], [id, "ops@example.com", "nightly-export"]);
    assert!(rows[0][3].ends_with('Z'), "created: {}", rows[0][3]);
    assert!(rows[0][4] > rows[0][3], "expires after its creation");
    assert_eq!(&rows[0][5..], ["-", "-"], "neither revoked nor used");
    assert_eq!(&rows[1][1..3], ["other@example.com", "cli"]);

    let mine = token_rows(&relais.ok(&["token", "list", "--email", "OPS@example.com"]));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0][0], id);
    assert_eq!(
        relais.fails(&["token", "list", "--email", "nobody@example.com"]),
        "error: no user with email nobody@example.com"
    );

    assert_eq!(
        relais.ok(&["token", "revoke", id]),
        format!("token {id} revoked\n")
    );
    let rows = token_rows(&relais.ok(&["token", "list"]));
    assert_ne!(rows[0][5], "-", "revoked at a time");
    assert_eq!(rows[1][5], "-", "the other token is untouched");
    assert!(
        relais
            .ok(&["token", "revoke", id])
            .starts_with(&format!("token {id} was already revoked at ")),
    );
    assert!(
        block_on(async {
            let db = database(&relais.dir.path().join("data")).await;
            relais_store::tokens::authenticate(&db, token, chrono::Utc::now())
                .await
                .unwrap()
        })
        .is_none(),
        "a revoked token no longer authenticates"
    );

    assert_eq!(
        relais.fails(&["token", "revoke", "0123456789abcdef"]),
        "error: no token with id 0123456789abcdef"
    );
    assert!(
        relais
            .fails(&["token", "revoke", token])
            .contains("the part before the dot")
    );
}

#[test]
fn errors_are_one_line_even_with_a_backtrace_asked_for() {
    let relais = Relais::new();
    let env = [("RUST_BACKTRACE", "1"), ("RUST_LIB_BACKTRACE", "1")];
    let args = ["token", "create", "--email", "nobody@example.com"];
    assert_eq!(
        failure(&args, relais.run_in(&args, "", &env)),
        "error: no user with email nobody@example.com"
    );
    // An error with a cause: both on the one line.
    let args = [
        "--database-url",
        "sqlite:///nonexistent-folder/relais.db?mode=rw",
        "migrate",
    ];
    let line = failure(&args, relais.run_in(&args, "", &env));
    assert!(
        line.starts_with("error: cannot connect to the database: "),
        "{line}"
    );
    assert_eq!(
        line.matches("unable to open database file").count(),
        1,
        "the cause once: {line}"
    );
}

#[test]
fn commands_log_nothing_by_default_not_even_the_migrations() {
    let relais = Relais::new();
    // `ok` checks that standard error stayed empty, on a fresh database (every migration
    // applied) and on a migrated one.
    relais.ok(&["token", "list"]);
    relais.ok(&["token", "list"]);
}

#[test]
fn the_demo_administrator_gets_a_new_password() {
    let relais = Relais::new();
    assert_eq!(
        relais.fails(&["demo", "--reset-password"]),
        "error: the demonstration dataset is not loaded (run `relais demo` first)"
    );
    let loaded = relais.ok(&["demo"]);
    let password = |out: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("a password line")
            .to_owned()
    };
    let first = password(&loaded);
    assert!(loaded.contains("administrator: admin@demo.relais.example\n"));
    assert!(
        relais
            .ok(&["demo"])
            .contains("relais demo --reset-password")
    );

    let reset = relais.ok(&["demo", "--reset-password"]);
    assert!(reset.contains("administrator: admin@demo.relais.example\n"));
    let second = password(&reset);
    assert_ne!(first, second);
    let hash = relais.password_hash("admin@demo.relais.example");
    assert!(verify_password(&second, &hash));
    assert!(!verify_password(&first, &hash));
}

#[test]
fn an_administrator_password_is_replaced_from_standard_input() {
    let relais = Relais::new();
    relais.admin("ops@example.com");
    let new = "a much longer passphrase now";
    assert_eq!(
        relais.ok_with_stdin(
            &[
                "admin",
                "reset-password",
                "--email",
                "ops@example.com",
                "--password-stdin"
            ],
            &format!("{new}\n"),
        ),
        "password of ops@example.com replaced\n"
    );
    let hash = relais.password_hash("ops@example.com");
    assert!(verify_password(new, &hash));
    assert!(!verify_password(PASSWORD, &hash));

    let args = [
        "admin",
        "reset-password",
        "--email",
        "ops@example.com",
        "--password-stdin",
    ];
    assert!(
        failure(&args, relais.run_with_stdin(&args, "short\n"))
            .starts_with("error: the password must be at least ")
    );
    let args = [
        "admin",
        "reset-password",
        "--email",
        "nobody@example.com",
        "--password-stdin",
    ];
    assert_eq!(
        failure(&args, relais.run_with_stdin(&args, PASSWORD)),
        "error: no user with email nobody@example.com"
    );
    assert!(verify_password(
        new,
        &relais.password_hash("ops@example.com")
    ));
}
