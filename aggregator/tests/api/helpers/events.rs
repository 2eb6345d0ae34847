//! Builds the JSON batches a browser client would send for one session.

use serde_json::{json, Value};

pub struct SessionScript {
    pub id: String,
    pub site: String,
    seq: u64,
}

fn random_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

impl SessionScript {
    pub fn new() -> Self {
        SessionScript {
            id: random_id(),
            site: "ide".into(),
            seq: 0,
        }
    }

    fn event(&mut self, t_s: f64, kind: &str, mut fields: Value) -> Value {
        let object = fields.as_object_mut().unwrap();
        object.insert("id".into(), json!(random_id()));
        object.insert("seq".into(), json!(self.seq));
        object.insert("t".into(), json!((t_s * 1000.0) as u64));
        object.insert("type".into(), json!(kind));
        self.seq += 1;
        fields
    }

    pub fn start(&mut self, t_s: f64) -> Value {
        self.event(t_s, "start", json!({}))
    }

    pub fn heartbeat(&mut self, t_s: f64, visible_s: f64, active_s: f64) -> Value {
        let fields = json!({"visible_ms": (visible_s * 1000.0) as u64, "active_ms": (active_s * 1000.0) as u64});
        self.event(t_s, "heartbeat", fields)
    }

    pub fn run(&mut self, t_s: f64, lines_executed: u64, error: Option<&str>) -> Value {
        let fields = json!({"program_lines": 10, "execution_time_ms": 12, "lines_executed": lines_executed,
                            "success": error.is_none(), "error_message": error});
        self.event(t_s, "program_run", fields)
    }

    pub fn feature(&mut self, t_s: f64, name: &str) -> Value {
        self.event(
            t_s,
            "feature",
            json!({"name": name, "data": {"source": "test"}}),
        )
    }

    /// A feature event with `data` as its data.
    pub fn feature_with(&mut self, t_s: f64, name: &str, data: Value) -> Value {
        self.event(t_s, "feature", json!({"name": name, "data": data}))
    }

    pub fn end(&mut self, t_s: f64) -> Value {
        self.event(t_s, "end", json!({}))
    }

    /// A batch sent at client offset `sent_s`.
    pub fn batch(&self, sent_s: f64, events: Vec<Value>) -> Value {
        json!({"site": self.site, "session": self.id, "sent": (sent_s * 1000.0) as u64, "events": events})
    }
}
