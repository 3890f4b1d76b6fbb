//! GTID positions of the binlog reader's checkpoint (`binlog_gtid`, V12), as text and as
//! the replication protocol wants them.
//!
//! - MySQL: the executed GTID set, per source (server uuid, and tag on 8.4+) the
//!   transaction numbers, kept as sorted disjoint half-open intervals. Text:
//!   `uuid:1-5:7,uuid:tag:1-3` (lower-case uuids, sources sorted), the form MySQL reads.
//! - MariaDB: the GTID position, per replication domain the last GTID
//!   (`domain-server-seq`), sorted by domain, comma-separated: the form
//!   `@slave_connect_state` and `BINLOG_GTID_POS()` use.
//!
//! Parsing accepts what formatting writes (and the servers' own spellings with spaces
//! and new lines); it never panics on any input.

use std::collections::BTreeMap;
use std::fmt;

use std::str::FromStr;

use mysql_async::binlog::events::PreviousGtidsEvent;
use mysql_async::Sid;

/// One transaction's GTID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gtid {
    MySql {
        uuid: [u8; 16],
        tag: Option<String>,
        gno: u64,
    },
    MariaDb {
        domain: u32,
        server: u32,
        seq: u64,
    },
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtid::MySql { uuid, tag, gno } => {
                write!(f, "{}", uuid_text(uuid))?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                write!(f, ":{gno}")
            }
            Gtid::MariaDb {
                domain,
                server,
                seq,
            } => write!(f, "{domain}-{server}-{seq}"),
        }
    }
}

/// A MySQL GTID source: server uuid and tag.
pub type Source = ([u8; 16], Option<String>);

/// A GTID position: what has been read up to a transaction boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gtids {
    /// (uuid, tag) → sorted, disjoint, non-adjacent intervals [start, end).
    MySql(BTreeMap<Source, Vec<(u64, u64)>>),
    /// domain → (server_id, seq_no) of its last transaction.
    MariaDb(BTreeMap<u32, (u32, u64)>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a GTID position: {text:?} ({why})")]
pub struct GtidParseError {
    pub text: String,
    pub why: &'static str,
}

impl Gtids {
    pub fn empty_mysql() -> Gtids {
        Gtids::MySql(BTreeMap::new())
    }

    pub fn empty_mariadb() -> Gtids {
        Gtids::MariaDb(BTreeMap::new())
    }

    /// A MySQL GTID set (`uuid:1-5:7,uuid:tag:1-3`; an empty text is the empty set).
    pub fn parse_mysql(text: &str) -> Result<Gtids, GtidParseError> {
        let err = |why| GtidParseError {
            text: text.to_string(),
            why,
        };
        let mut set = BTreeMap::new();
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for part in cleaned.split(',').filter(|p| !p.is_empty()) {
            let mut fields = part.split(':');
            let uuid = fields
                .next()
                .and_then(parse_uuid)
                .ok_or_else(|| err("a source is not a uuid"))?;
            let mut tag: Option<String> = None;
            for field in fields {
                if field.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
                    if !valid_tag(field) {
                        return Err(err("a tag is not valid"));
                    }
                    tag = Some(field.to_string());
                    continue;
                }
                let (start, last) = match field.split_once('-') {
                    Some((a, b)) => (a.parse::<u64>(), b.parse::<u64>()),
                    None => (field.parse::<u64>(), field.parse::<u64>()),
                };
                let (Ok(start), Ok(last)) = (start, last) else {
                    return Err(err("an interval is not `n` or `n-m`"));
                };
                if start == 0 || last < start || last == u64::MAX {
                    return Err(err("an interval is empty or starts at 0"));
                }
                let ivs: &mut Vec<(u64, u64)> = set.entry((uuid, tag.clone())).or_default();
                insert_interval(ivs, start, last + 1);
            }
        }
        Ok(Gtids::MySql(set))
    }

    /// A MariaDB GTID position (`0-1-100,1-2-5`; an empty text is the empty position).
    pub fn parse_mariadb(text: &str) -> Result<Gtids, GtidParseError> {
        let err = |why| GtidParseError {
            text: text.to_string(),
            why,
        };
        let mut state = BTreeMap::new();
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for part in cleaned.split(',').filter(|p| !p.is_empty()) {
            let mut nums = part.split('-');
            let (Some(d), Some(s), Some(n), None) =
                (nums.next(), nums.next(), nums.next(), nums.next())
            else {
                return Err(err("a GTID is not domain-server-seq"));
            };
            let (Ok(d), Ok(s), Ok(n)) = (d.parse::<u32>(), s.parse::<u32>(), n.parse::<u64>())
            else {
                return Err(err("a GTID part is not a number"));
            };
            if state.insert(d, (s, n)).is_some() {
                return Err(err("a domain appears twice"));
            }
        }
        Ok(Gtids::MariaDb(state))
    }

    /// The set a MySQL binary log file starts with (its Previous_gtids event).
    pub fn from_previous(ev: &PreviousGtidsEvent<'_>) -> Gtids {
        let mut set = BTreeMap::new();
        for sid in ev.sids() {
            let ivs: &mut Vec<(u64, u64)> = set
                .entry((sid.uuid(), sid.tag().map(|t| t.to_string())))
                .or_default();
            for iv in sid.intervals() {
                if iv.start() > 0 && iv.end() > iv.start() {
                    insert_interval(ivs, iv.start(), iv.end());
                }
            }
        }
        Gtids::MySql(set)
    }

    /// Record one transaction as read. A GTID of the other engine's kind is ignored
    /// (never happens: a stream comes from one server).
    pub fn add(&mut self, gtid: &Gtid) {
        match (self, gtid) {
            (Gtids::MySql(set), Gtid::MySql { uuid, tag, gno }) if *gno > 0 && *gno < u64::MAX => {
                let ivs = set.entry((*uuid, tag.clone())).or_default();
                insert_interval(ivs, *gno, *gno + 1);
            }
            (
                Gtids::MariaDb(state),
                Gtid::MariaDb {
                    domain,
                    server,
                    seq,
                },
            ) => {
                state.insert(*domain, (*server, *seq));
            }
            _ => {}
        }
    }

    /// Add every transaction of `other` (of the same engine's kind).
    pub fn union(&mut self, other: &Gtids) {
        match (self, other) {
            (Gtids::MySql(set), Gtids::MySql(more)) => {
                for (key, ivs) in more {
                    let mine = set.entry(key.clone()).or_default();
                    for (s, e) in ivs {
                        insert_interval(mine, *s, *e);
                    }
                }
            }
            (Gtids::MariaDb(state), Gtids::MariaDb(more)) => {
                for (d, v) in more {
                    state.insert(*d, *v);
                }
            }
            _ => {}
        }
    }

    /// The set as COM_BINLOG_DUMP_GTID wants it (MySQL; empty for MariaDB). Each
    /// source goes through its text (the library's parser builds tagged entries).
    pub fn sids(&self) -> Result<Vec<Sid<'static>>, GtidParseError> {
        let Gtids::MySql(set) = self else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (key, ivs) in set {
            if ivs.is_empty() {
                continue;
            }
            let mut one = BTreeMap::new();
            one.insert(key.clone(), ivs.clone());
            let text = Gtids::MySql(one).to_string();
            out.push(Sid::from_str(&text).map_err(|_| GtidParseError {
                text,
                why: "not accepted by the replication library",
            })?);
        }
        Ok(out)
    }
}

/// A MySQL GTID tag: `[a-z_][a-z0-9_]{0,31}`.
fn valid_tag(t: &str) -> bool {
    t.len() <= 32
        && t.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl fmt::Display for Gtids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtids::MySql(set) => {
                let mut first = true;
                for ((uuid, tag), ivs) in set {
                    if ivs.is_empty() {
                        continue;
                    }
                    if !first {
                        f.write_str(",")?;
                    }
                    first = false;
                    write!(f, "{}", uuid_text(uuid))?;
                    if let Some(t) = tag {
                        write!(f, ":{t}")?;
                    }
                    for (s, e) in ivs {
                        if e - 1 == *s {
                            write!(f, ":{s}")?;
                        } else {
                            write!(f, ":{s}-{}", e - 1)?;
                        }
                    }
                }
                Ok(())
            }
            Gtids::MariaDb(state) => {
                let parts: Vec<String> = state
                    .iter()
                    .map(|(d, (s, n))| format!("{d}-{s}-{n}"))
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

/// Add [start, end) to sorted disjoint intervals, merging what touches.
fn insert_interval(ivs: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    // The common case: the next transaction of a source.
    if let Some(last) = ivs.last_mut() {
        if last.1 == start {
            last.1 = end;
            return;
        }
        if last.1 < start {
            ivs.push((start, end));
            return;
        }
    } else {
        ivs.push((start, end));
        return;
    }
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ivs.len() + 1);
    let mut new = (start, end);
    let mut placed = false;
    for &(s, e) in ivs.iter() {
        if e < new.0 {
            merged.push((s, e));
        } else if new.1 < s {
            if !placed {
                merged.push(new);
                placed = true;
            }
            merged.push((s, e));
        } else {
            new = (new.0.min(s), new.1.max(e));
        }
    }
    if !placed {
        merged.push(new);
    }
    *ivs = merged;
}

fn uuid_text(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// MariaDB's GTID event (type 162): body = seq_no (8 bytes), domain_id (4), flags (1);
/// the server id is the event header's. `standalone`: a statement logged without
/// BEGIN/COMMIT (DDL), so the event group ends with that statement.
pub fn mariadb_gtid_event(body: &[u8], server: u32) -> Option<(Gtid, bool)> {
    let seq = u64::from_le_bytes(body.get(0..8)?.try_into().ok()?);
    let domain = u32::from_le_bytes(body.get(8..12)?.try_into().ok()?);
    let flags = *body.get(12)?;
    Some((
        Gtid::MariaDb {
            domain,
            server,
            seq,
        },
        flags & MARIADB_FL_STANDALONE != 0,
    ))
}

/// MariaDB's GTID event type.
pub const MARIADB_GTID_EVENT: u8 = 162;
const MARIADB_FL_STANDALONE: u8 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    const U1: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn mysql_sets_parse_add_and_print() {
        let mut s = Gtids::parse_mysql(&format!("{}:1-5:7,\n{U1}:tag_a:3", U1.to_uppercase()))
            .expect("parses");
        assert_eq!(s.to_string(), format!("{U1}:1-5:7,{U1}:tag_a:3"));
        let uuid = parse_uuid(U1).expect("uuid");
        s.add(&Gtid::MySql {
            uuid,
            tag: None,
            gno: 6,
        });
        s.add(&Gtid::MySql {
            uuid,
            tag: None,
            gno: 9,
        });
        assert_eq!(s.to_string(), format!("{U1}:1-7:9,{U1}:tag_a:3"));
        assert_eq!(Gtids::parse_mysql(&s.to_string()), Ok(s.clone()));
        let mut u = Gtids::parse_mysql(&format!("{U1}:8:20-21")).expect("parses");
        u.union(&s);
        assert_eq!(u.to_string(), format!("{U1}:1-9:20-21,{U1}:tag_a:3"));
        assert_eq!(s.sids().map(|v| v.len()), Ok(2));
        assert_eq!(
            s.sids()
                .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            Ok(vec![format!("{U1}:1-7:9"), format!("{U1}:tag_a:3")])
        );
        assert_eq!(
            Gtids::parse_mysql("").map(|g| g.to_string()),
            Ok(String::new())
        );
        for bad in [
            "x:1",
            &format!("{U1}:0"),
            &format!("{U1}:5-3"),
            &format!("{U1}:a-"),
        ] {
            assert!(Gtids::parse_mysql(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn intervals_merge() {
        let mut v = vec![(1, 3), (5, 7), (10, 12)];
        insert_interval(&mut v, 3, 5);
        assert_eq!(v, vec![(1, 7), (10, 12)]);
        insert_interval(&mut v, 8, 9);
        assert_eq!(v, vec![(1, 7), (8, 9), (10, 12)]);
        insert_interval(&mut v, 0, 20);
        assert_eq!(v, vec![(0, 20)]);
    }

    #[test]
    fn mariadb_positions() {
        let mut s = Gtids::parse_mariadb(" 1-2-5,0-1-100").expect("parses");
        s.add(&Gtid::MariaDb {
            domain: 0,
            server: 3,
            seq: 101,
        });
        assert_eq!(s.to_string(), "0-3-101,1-2-5");
        assert!(Gtids::parse_mariadb("0-1").is_err());
        assert!(Gtids::parse_mariadb("0-1-2,0-1-3").is_err());
        let mut body = 42u64.to_le_bytes().to_vec();
        body.extend(7u32.to_le_bytes());
        body.push(1);
        assert_eq!(
            mariadb_gtid_event(&body, 9),
            Some((
                Gtid::MariaDb {
                    domain: 7,
                    server: 9,
                    seq: 42
                },
                true
            ))
        );
        assert_eq!(mariadb_gtid_event(&body[..5], 9), None);
    }
}
