//! Placeholder rows shown while data loads, so a page is never blank.

use leptos::prelude::*;

/// Bar widths per row, varied so the placeholder reads as a list, not a block.
const WIDTHS: [&str; 4] = ["w-60", "w-40", "w-75", "w-50"];

#[component]
pub fn SkeletonRows(
    #[prop(default = 5)] rows: usize,
    /// Read out to screen readers instead of the grey bars.
    #[prop(into)]
    label: TextProp,
) -> impl IntoView {
    view! {
        <div class="skeleton" role="status" aria-busy="true">
            <span class="visually-hidden">{move || label.get()}</span>
            {(0..rows)
                .map(|row| {
                    view! {
                        <div class="skeleton-row" aria-hidden="true">
                            <span class="skeleton-dot"></span>
                            <span class=format!("skeleton-bar {}", WIDTHS[row % WIDTHS.len()])></span>
                            <span class="skeleton-bar skeleton-bar-short"></span>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}
