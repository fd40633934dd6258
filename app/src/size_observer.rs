//! Keeps a signal equal to an element's visible height, for the
//! virtualised list: the window, a filter panel or a bulk bar may resize it.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::ResizeObserver;

struct Observer {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

pub fn observe_height(node: NodeRef<html::Div>, height: RwSignal<f64>) {
    let slot = StoredValue::new_local(None::<Observer>);
    Effect::new(move |_| {
        let Some(element) = node.get() else {
            return;
        };
        height.set(f64::from(element.client_height()));
        let target = element.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            height.try_set(f64::from(target.client_height()));
        });
        if let Ok(observer) = ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&element);
            slot.try_update_value(|s| {
                *s = Some(Observer {
                    observer,
                    _callback: callback,
                })
            });
        }
    });
}
