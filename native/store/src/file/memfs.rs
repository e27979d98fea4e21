//! A file system in memory that records every operation, and rebuilds what a power loss after any prefix
//! of them would leave on disk. Tests only.
//!
//! The power-loss model: a file's bytes are durable as of its last fsync; bytes written since may be
//! absent, partly present (a prefix of the unsynced part, or zeros where it would be) or all present.
//! Creations, removals and renames are durable in the order they happen (a journaled file system's
//! metadata order; the store fsyncs the directory anyway before relying on one).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::io::{Fs, FsFile};

#[derive(Clone, Debug)]
pub enum Op {
    Create(PathBuf),
    Write(PathBuf, u64, Vec<u8>),
    SetLen(PathBuf, u64),
    Sync(PathBuf),
    Remove(PathBuf),
    Rename(PathBuf, PathBuf),
    SyncDir,
}

#[derive(Default)]
struct State {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeSet<PathBuf>,
    log: Vec<Op>,
}

#[derive(Clone, Default)]
pub struct MemFs {
    st: Arc<Mutex<State>>,
}

/// What survives of the bytes written after a file's last fsync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsynced {
    Lost,
    /// The first half of them.
    Half,
    /// Zeros in their place (the size grew, the data never landed).
    Zeroed,
    All,
}

impl MemFs {
    pub fn new() -> MemFs {
        MemFs::default()
    }

    /// A file system holding `files` (e.g. a crash image), with an empty log.
    pub fn with_files(files: BTreeMap<PathBuf, Vec<u8>>) -> MemFs {
        let fs = MemFs::default();
        {
            let mut st = fs.st.lock().unwrap();
            for p in files.keys() {
                if let Some(d) = p.parent() {
                    st.dirs.insert(d.to_path_buf());
                }
            }
            st.files = files;
        }
        fs
    }

    pub fn shared(&self) -> Arc<dyn Fs> {
        Arc::new(self.clone())
    }

    pub fn op_count(&self) -> usize {
        self.st.lock().unwrap().log.len()
    }

    pub fn ops(&self) -> Vec<Op> {
        self.st.lock().unwrap().log.clone()
    }

    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        self.st.lock().unwrap().files.clone()
    }

    fn log(&self, op: Op) {
        self.st.lock().unwrap().log.push(op);
    }
}

/// Disk images after a power loss following each prefix of `ops`: `images[n]` is after `ops[..n]`.
pub fn crash_images(ops: &[Op], unsynced: Unsynced) -> Vec<BTreeMap<PathBuf, Vec<u8>>> {
    // Per file: (current bytes, bytes as of the last fsync).
    let mut files: BTreeMap<PathBuf, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
    let image = |files: &BTreeMap<PathBuf, (Vec<u8>, Vec<u8>)>| {
        files
            .iter()
            .map(|(p, (cur, dur))| {
                let mut b = dur.clone();
                if cur.len() > dur.len() || cur != dur {
                    match unsynced {
                        Unsynced::Lost => {}
                        Unsynced::All => b = cur.clone(),
                        Unsynced::Half if cur.len() > dur.len() && cur.starts_with(dur) => {
                            b = cur[..dur.len() + (cur.len() - dur.len()) / 2].to_vec()
                        }
                        Unsynced::Zeroed if cur.len() > dur.len() => b.resize(cur.len(), 0),
                        _ => {}
                    }
                }
                (p.clone(), b)
            })
            .collect()
    };
    let mut out = vec![image(&files)];
    for op in ops {
        match op {
            Op::Create(p) => {
                files.entry(p.clone()).or_default();
            }
            Op::Write(p, off, data) => {
                let cur = &mut files.get_mut(p).expect("write to an existing file").0;
                let end = *off as usize + data.len();
                if cur.len() < end {
                    cur.resize(end, 0);
                }
                cur[*off as usize..end].copy_from_slice(data);
            }
            Op::SetLen(p, len) => files.get_mut(p).expect("set_len of an existing file").0.resize(*len as usize, 0),
            Op::Sync(p) => {
                let f = files.get_mut(p).expect("sync of an existing file");
                f.1 = f.0.clone();
            }
            Op::Remove(p) => {
                files.remove(p);
            }
            Op::Rename(a, b) => {
                let f = files.remove(a).expect("rename of an existing file");
                files.insert(b.clone(), f);
            }
            Op::SyncDir => {}
        }
        out.push(image(&files));
    }
    out
}

struct MemFile {
    path: PathBuf,
    fs: MemFs,
}

fn not_found() -> io::Error {
    io::ErrorKind::NotFound.into()
}

impl Fs for MemFs {
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn FsFile>> {
        let mut st = self.st.lock().unwrap();
        if !st.files.contains_key(path) {
            if !create {
                return Err(not_found());
            }
            st.files.insert(path.to_path_buf(), Vec::new());
            st.log.push(Op::Create(path.to_path_buf()));
        }
        Ok(Box::new(MemFile { path: path.to_path_buf(), fs: self.clone() }))
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.st.lock().unwrap().files.get(path).cloned().ok_or_else(not_found)
    }
    fn write_synced(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let mut f = self.open(path, true)?;
        f.set_len(0)?;
        f.write_all_at(data, 0)?;
        f.sync()
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut st = self.st.lock().unwrap();
        st.files.remove(path).ok_or_else(not_found)?;
        st.log.push(Op::Remove(path.to_path_buf()));
        Ok(())
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.st.lock().unwrap();
        let f = st.files.remove(from).ok_or_else(not_found)?;
        st.files.insert(to.to_path_buf(), f);
        st.log.push(Op::Rename(from.to_path_buf(), to.to_path_buf()));
        Ok(())
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let st = self.st.lock().unwrap();
        Ok(st
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect())
    }
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.st.lock().unwrap().dirs.insert(dir.to_path_buf());
        Ok(())
    }
    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        self.log(Op::SyncDir);
        Ok(())
    }
    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.st.lock().unwrap();
        let doomed: Vec<PathBuf> = st.files.keys().filter(|p| p.starts_with(dir)).cloned().collect();
        for p in doomed {
            st.files.remove(&p);
            st.log.push(Op::Remove(p));
        }
        st.dirs.retain(|d| !d.starts_with(dir));
        Ok(())
    }
}

impl FsFile for MemFile {
    fn read_exact_at(&self, buf: &mut [u8], off: u64) -> io::Result<()> {
        let st = self.fs.st.lock().unwrap();
        let f = st.files.get(&self.path).ok_or_else(not_found)?;
        let src = f.get(off as usize..off as usize + buf.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write_all_at(&mut self, buf: &[u8], off: u64) -> io::Result<()> {
        let mut st = self.fs.st.lock().unwrap();
        let f = st.files.get_mut(&self.path).ok_or_else(not_found)?;
        let end = off as usize + buf.len();
        if f.len() < end {
            f.resize(end, 0);
        }
        f[off as usize..end].copy_from_slice(buf);
        st.log.push(Op::Write(self.path.clone(), off, buf.to_vec()));
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        let st = self.fs.st.lock().unwrap();
        Ok(st.files.get(&self.path).ok_or_else(not_found)?.len() as u64)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut st = self.fs.st.lock().unwrap();
        st.files.get_mut(&self.path).ok_or_else(not_found)?.resize(len as usize, 0);
        st.log.push(Op::SetLen(self.path.clone(), len));
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        self.fs.log(Op::Sync(self.path.clone()));
        Ok(())
    }
}
