//! Diesel table definitions, shared by both backends (see the migrations).

diesel::table! {
    ledger (seq) {
        seq -> BigInt,
        prev_hash -> Binary,
        hash -> Binary,
        recorded_at -> Timestamp,
        kind -> Text,
        subject -> Text,
        subject_prev -> BigInt,
        body -> Binary,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
        stamp_language -> Text,
        utc_offset -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        login -> Text,
        full_name -> Text,
        position -> Text,
        roles -> Text,
        created_at -> Timestamp,
        department -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Binary,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size -> BigInt,
        data -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        title -> Text,
        title_folded -> Text,
        state -> Text,
        latest_version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    document_versions (document_id, version) {
        document_id -> Text,
        version -> Integer,
        sha256 -> Text,
        size -> BigInt,
        content_type -> Text,
        filename -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::joinable!(users -> organisations (org_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(documents -> organisations (org_id));
diesel::joinable!(document_versions -> documents (document_id));

diesel::joinable!(signing_keys -> users (user_id));
diesel::joinable!(signatures -> signing_keys (key_id));

diesel::allow_tables_to_appear_in_same_query!(
    ledger,
    resolutions,
    reports,
    route_templates,
    routes,
    decisions,
    calendar_days,
    substitutions,
    journals,
    journal_counters,
    registrations,
    signing_keys,
    challenges,
    login_decoys,
    signatures,
    organisations,
    users,
    api_tokens,
    blobs,
    documents,
    document_versions,
);

diesel::table! {
    merkle_nodes (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    checkpoints (tree_size) {
        tree_size -> BigInt,
        root -> Binary,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    log_keys (verifier) {
        verifier -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        user_id -> Text,
        form -> Text,
        spki -> Binary,
        certificate -> Nullable<Binary>,
        chain -> Nullable<Binary>,
        subject -> Nullable<Text>,
        issuer -> Nullable<Text>,
        serial -> Nullable<Text>,
        not_before -> Nullable<Timestamp>,
        not_after -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by -> Text,
        revoked_at -> Nullable<Timestamp>,
        revocation_reason -> Nullable<Text>,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    challenges (nonce) {
        nonce -> Text,
        user_id -> Text,
        key_id -> Text,
        purpose -> Text,
        statement -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_decoys (nonce) {
        nonce -> Text,
        login -> Text,
        key_id -> Text,
        statement -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    signatures (id) {
        id -> Text,
        document_id -> Text,
        version -> Integer,
        key_id -> Text,
        user_id -> Text,
        purpose -> Text,
        statement -> Text,
        signature -> Binary,
        nonce -> Text,
        signed_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    journals (id) {
        id -> Text,
        org_id -> Text,
        code -> Text,
        name -> Text,
        kinds -> Text,
        created_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    journal_counters (journal_id, year) {
        journal_id -> Text,
        year -> Integer,
        last_number -> BigInt,
    }
}

diesel::table! {
    registrations (document_id) {
        document_id -> Text,
        journal_id -> Text,
        year -> Integer,
        number -> BigInt,
        reg_number -> Text,
        registered_at -> Timestamp,
        registered_by -> Text,
        correspondent -> Nullable<Text>,
        correspondent_number -> Nullable<Text>,
        correspondent_date -> Nullable<Text>,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    substitutions (id) {
        id -> Text,
        user_id -> Text,
        substitute_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        kinds -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        revoked_at -> Nullable<Timestamp>,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    route_templates (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        name -> Text,
        spec -> Text,
        created_at -> Timestamp,
        created_by -> Text,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    routes (id) {
        id -> Text,
        org_id -> Text,
        document_id -> Text,
        version -> Integer,
        state -> Text,
        runtime -> Text,
        started_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        route_id -> Text,
        stage -> Integer,
        step -> Integer,
        decision -> Text,
        user_id -> Text,
        on_behalf_of -> Nullable<Text>,
        signature_id -> Text,
        comment -> Nullable<Text>,
        comment_sha256 -> Text,
        decided_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    calendar_days (org_id, day) {
        org_id -> Text,
        day -> Text,
        working -> Bool,
    }
}

diesel::table! {
    resolutions (id) {
        id -> Text,
        org_id -> Text,
        document_id -> Text,
        parent_id -> Nullable<Text>,
        parent_executor -> Nullable<Text>,
        state -> Text,
        runtime -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        resolution_id -> Text,
        executor_id -> Text,
        body -> Text,
        attachments -> Text,
        submitted_at -> Timestamp,
        ledger_seq -> BigInt,
    }
}
