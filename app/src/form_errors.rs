//! The complaints a form shows: one sentence per field, named as the API names
//! them in `ErrorBody.field`, plus one banner for the form as a whole.

use leptos::prelude::*;

use crate::api::ApiError;

#[derive(Clone, Copy)]
pub struct FormErrors<const N: usize> {
    names: [&'static str; N],
    fields: [RwSignal<Option<String>>; N],
    pub form: RwSignal<Option<ApiError>>,
}

impl<const N: usize> FormErrors<N> {
    pub fn new(names: [&'static str; N]) -> Self {
        FormErrors {
            names,
            fields: std::array::from_fn(|_| RwSignal::new(None)),
            form: RwSignal::new(None),
        }
    }

    /// The message under `name`; an unknown name falls back to the first field.
    pub fn field(&self, name: &str) -> RwSignal<Option<String>> {
        let index = self.names.iter().position(|f| *f == name).unwrap_or(0);
        self.fields[index]
    }

    pub fn has(&self, name: &str) -> bool {
        self.field(name).with(Option::is_some)
    }

    pub fn clear(&self) {
        self.fields.iter().for_each(|f| f.set(None));
        self.form.set(None);
    }

    /// Puts a server error next to its field, or in the banner.
    pub fn show(&self, error: ApiError) {
        match error.field().filter(|f| self.names.contains(f)) {
            Some(field) => self.field(field).set(Some(error.message().to_owned())),
            None => self.form.set(Some(error)),
        }
    }

    pub fn any(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.with_untracked(Option::is_some))
    }
}
