//! relais's benchmark suite: the realistic dataset generated in the database (`generate`), the
//! release server started on it (`server`), each endpoint loaded at 1 and 32 connections
//! (`load`) beside the bare SQL it runs (`bare`, statements in `endpoints`), the machine's load
//! and the server's memory (`stats`), the Django REST Framework service the issue compares
//! relais with (`reference`), and the figures against the targets (`report`).
//! `main.rs` runs it per backend; `scripts/bench.sh` is the one command.

pub mod args;
pub mod bare;
pub mod endpoints;
pub mod generate;
pub mod load;
pub mod reference;
pub mod report;
pub mod server;
pub mod stats;
pub mod suite;
