//! The inbox at /inbox. Conversations arrive with the next issue; for now it
//! says where they will appear and shows live activity from the socket.

use leptos::prelude::*;

use crate::components::activity_feed::ActivityFeed;
use crate::components::empty_state::EmptyState;
use crate::components::icon::IconKind;
use crate::components::page_header::PageHeader;

#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <div class="page">
            <PageHeader
                title="Inbox"
                description="Conversations from your WeChat Official Accounts and WeCom customer service."
            />
            <div class="inbox-layout">
                <section class="panel inbox-queue" aria-labelledby="queue-title">
                    <header class="panel-header">
                        <h2 id="queue-title" class="panel-title">
                            "Conversations"
                        </h2>
                    </header>
                    <EmptyState
                        icon=IconKind::Message
                        message="No conversations yet. New WeChat messages land here."
                    />
                </section>
                <ActivityFeed />
            </div>
        </div>
    }
}
