//! Hours and holidays in the browser. A supervisor on a tablet sets the
//! desk's split shifts (a bad window is named on its day and nothing is
//! saved), then makes today closed, then a half day, and the line at the
//! top follows; holidays are the admins'. An admin reading Traditional
//! Chinese adds a holiday and imports a calendar file whose bad event is
//! refused in Chinese while the good ones are added.

use harbour_server::calendar::{format_date, local_date};
use harbour_tests::app::{ADMIN_EMAIL, PASSWORD};
use harbour_tests::browser::Browser;
use harbour_tests::browser_desk::{app_with_ui, desk, sign_in};
use shared::Role;

/// Sets a date input as a person picking a day would (typing into date
/// fields differs by engine and locale).
async fn pick_date(browser: &Browser, css: &str, date: &str) {
    browser.wait_for(css).await;
    browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::json!(css), serde_json::json!(date)],
        )
        .await
        .expect("pick a date");
}

/// Shows the holidays of `year` (the table shows one year at a time).
async fn show_year(browser: &Browser, year: &str) {
    browser
        .wait_for(&format!("#holiday-year option[value='{year}']"))
        .await;
    browser
        .wait_for("#holiday-year")
        .await
        .select_by_value(year)
        .await
        .expect("pick the year");
}

#[tokio::test]
async fn a_supervisor_sets_split_shifts_and_todays_exception_on_a_tablet() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let desk = desk(&app).await;
    let admin = app.admin_token().await;
    let team: shared::TeamId = desk.team.parse().expect("a team id");
    let (boss, _) = app.user_with_role(&admin, Role::Supervisor, &[team]).await;
    let hours = format!("/api/v1/teams/{}/hours", desk.team);
    let (_, before) = app.get_json(&hours, &admin).await;

    let browser = Browser::start(1024, 768).await;
    sign_in(&browser, &app, &boss.email, PASSWORD).await;
    browser.wait_for(".live-indicator").await;
    browser.click("a.nav-link[href='/admin/calendar']").await;
    browser.wait_for("#hours-day-0").await;
    browser.wait_for(".calendar-status").await;
    for day in 0..5 {
        browser
            .fill(&format!("#hours-day-{day}"), "9:00-13:00, 14:00-18:00")
            .await;
    }
    browser.fill("#hours-day-5", "25:00-26:00").await;
    browser.fill("#hours-day-6", "").await;
    browser.click(".calendar-week button[type=submit]").await;
    browser
        .wait_for_text("#hours-day-5-error", "24-hour time")
        .await;
    browser.wait_for("#hours-day-5[aria-invalid='true']").await;
    let (_, unchanged) = app.get_json(&hours, &admin).await;
    assert_eq!(unchanged["weekly"], before["weekly"], "nothing was saved");

    browser.fill("#hours-day-5", "10:00-13:00").await;
    browser.click(".calendar-week button[type=submit]").await;
    browser
        .wait_for_text(".calendar-saved", "Hours saved")
        .await;
    let (_, saved) = app.get_json(&hours, &admin).await;
    assert_eq!(
        saved["weekly"][0],
        serde_json::json!(["09:00–13:00", "14:00–18:00"])
    );
    assert_eq!(saved["weekly"][5], serde_json::json!(["10:00–13:00"]));
    assert_eq!(saved["weekly"][6], serde_json::json!([]));
    browser
        .client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("scroll");
    browser.screenshot("calendar-week-1024x768").await;

    // Today closed: the line at the top says why.
    let today = format_date(local_date(app.clock.now()).0);
    pick_date(&browser, "#exception-date", &today).await;
    browser
        .click(".calendar-exception-form button[type=submit]")
        .await;
    browser
        .wait_for(&format!(
            ".calendar-exception[data-date='{today}'][data-closed='true']"
        ))
        .await;
    browser
        .wait_for_text(".calendar-status", "exception for today")
        .await;

    // Then a half day instead (the clock says 09:00): open until 09:30.
    pick_date(&browser, "#exception-date", &today).await;
    browser
        .click(".calendar-exception-kind input[value='hours']")
        .await;
    browser.fill("#exception-windows", "09:00-09:30").await;
    browser
        .click(".calendar-exception-form button[type=submit]")
        .await;
    browser
        .wait_for(&format!(
            ".calendar-exception[data-date='{today}'][data-closed='false']"
        ))
        .await;
    browser
        .wait_for_text(".calendar-status[data-open='true']", "09:30")
        .await;
    browser.screenshot("calendar-hours-1024x768").await;

    // Holidays are read here; only admins change them.
    show_year(&browser, "2026").await;
    browser
        .wait_for_text(".holiday-table tr[data-date='2026-12-25']", "Christmas")
        .await;
    let admin_only = browser
        .client
        .find_all(fantoccini::Locator::Css(".holiday-form, .holiday-import"))
        .await
        .expect("find");
    assert!(admin_only.is_empty(), "a supervisor has no holiday editor");
    browser.close().await;
}

#[tokio::test]
async fn an_admin_adds_and_imports_holidays_in_traditional_chinese() {
    let Some(app) = app_with_ui().await else {
        return;
    };
    let admin = app.admin_token().await;
    let files = tempfile::tempdir().expect("temp dir");
    let calendar = files.path().join("firm-days.ics");
    std::fs::write(
        &calendar,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Firm//EN\r\n\
         BEGIN:VEVENT\r\nUID:a@firm\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20270702\r\n\
         DTEND;VALUE=DATE:20270703\r\nSUMMARY:Firm Day\r\nX-HARBOUR-NAME-ZH:公司日\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:b@firm\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20270705T090000\r\n\
         SUMMARY:Board meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .expect("write the calendar");

    let browser = Browser::start_in(1366, 768, "zh-HK").await;
    sign_in(&browser, &app, ADMIN_EMAIL, PASSWORD).await;
    browser.wait_for(".live-indicator").await;
    browser.goto(&app.url("/admin/calendar")).await;
    show_year(&browser, "2026").await;
    browser
        .wait_for_text(".holiday-table tr[data-date='2026-12-25']", "聖誕節")
        .await;

    // A date that is a holiday already is refused in Chinese; a new one is added.
    pick_date(&browser, "#holiday-date", "2026-12-25").await;
    browser.fill("#holiday-name", "Christmas again").await;
    browser.fill("#holiday-name-zh", "又是聖誕").await;
    browser.click(".holiday-form button[type=submit]").await;
    browser.wait_for_text(".holiday-form", "該日已是假期").await;
    pick_date(&browser, "#holiday-date", "2026-12-31").await;
    browser.fill("#holiday-name", "New Year's Eve").await;
    browser.fill("#holiday-name-zh", "除夕").await;
    browser.click(".holiday-form button[type=submit]").await;
    browser
        .wait_for_text(".holiday-table tr[data-date='2026-12-31']", "除夕")
        .await;
    assert_eq!(app.wait_for_events("holiday.added", 1).await, 1);

    browser
        .wait_for("#holiday-import")
        .await
        .send_keys(&calendar.display().to_string())
        .await
        .expect("choose the file");
    browser
        .wait_for_text(".holiday-import-outcome", "已新增 1 個假期")
        .await;
    browser
        .wait_for_text(".holiday-refused", "第 2 個項目：它有指定時間")
        .await;
    let (_, holidays) = app.get_json("/api/v1/holidays", &admin).await;
    let firm_day = holidays
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["date"] == "2027-07-02")
        .expect("the firm's day was added");
    assert_eq!(firm_day["name_zh"], "公司日");
    browser
        .client
        .execute(
            "document.querySelector('.holiday-import').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll");
    browser.screenshot("calendar-holidays-zh-HK-1366x768").await;
    browser.close().await;
}
