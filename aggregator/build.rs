// Both stores' migrations are embedded at compile time: rebuild when either changes.
fn main() {
    println!("cargo:rerun-if-changed=../sql/mysql");
    println!("cargo:rerun-if-changed=../sql/sqlite");
}
