"""PostgreSQL storage: pool and embedded server, migrations, accounts, users, credits, jobs, entries, events.

Modules and their public API:
- `database`: `start_embedded(pgdata) -> url`, `stop_embedded(pgdata)`, `create_pool(url)`, `connect(url)`.
- `migrations`: `apply_migrations(url, directory) -> list[str]` (advisory-locked, idempotent).
- `accounts`: `create_account`, `get_account`, `any_account`, `add_credits`.
- `users`: `create_user`, `get_user`, `find_login`, `list_users`, `update_user`, `delete_user`,
  `set_user_active`, `rotate_password`, `password_matches`, `set_totp_secret`.
- `totp`: `begin_enrolment`, `require_second_factor`, `reserve_attempt`, `consume_step` (TOTP state).
- `credits`: `get_balance`, `charge`, `daily_usage`, `InsufficientCredits`.
- `jobs`: `create_job`, `get_job`, `list_jobs`, `delete_job`, `expire_jobs`, `Job`, `NewJob`, `NewEntry`.
- `entries`: `StoredEntry` (the one typed stored entry, `StoredEntry.from_row`), `list_entries`,
  `iter_entries`, `iter_stored_entries`, `ENTRY_FIELDS`, `stored_evidence`, `evidence_of`.
- `work`: the scheduler's claims and result writes (`running_jobs`, `claim`, `record_results`).
- `secrets`: `get_or_create(pool, name)`.
- `events`: `JobEvents` (LISTEN job_completed / job_submitted; `wait_completed`, `subscribe`).
"""
