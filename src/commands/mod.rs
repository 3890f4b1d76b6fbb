//! The wiring of the commands that assemble several parts of the program (one file per
//! command); commands that are one part's job live with that part (`migrate`,
//! `ops::status`, ...).

pub mod work;
