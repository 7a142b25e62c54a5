// @generated automatically by Diesel CLI.

diesel::table! {
    account_token (id) {
        id -> Int8,
        user_id -> Int4,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_token (id) {
        id -> Int4,
        user_id -> Int4,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_event (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_user_id -> Nullable<Int4>,
        actor_email -> Nullable<Text>,
        action -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        details -> Jsonb,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    build (id) {
        id -> Uuid,
        created_at -> Timestamptz,
        status -> Text,
        requested_by -> Text,
        reason -> Text,
        started_at -> Nullable<Timestamptz>,
        succeeded_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        failure_reason -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamptz>,
        acknowledged_by -> Nullable<Text>,
        fence -> Nullable<Int8>,
        builder -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamptz>,
        covered_by -> Nullable<Uuid>,
        stats -> Nullable<Jsonb>,
        alerted_at -> Nullable<Timestamptz>,
        alerts_sent -> Int4,
    }
}

diesel::table! {
    classification (id) {
        #[max_length = 16]
        id -> Varchar,
        title -> Text,
        long_title -> Text,
        position -> Int4,
    }
}

diesel::table! {
    data_source (id) {
        id -> Int4,
        #[max_length = 255]
        title -> Varchar,
        type_of_data -> Array<Nullable<Text>>,
        type_of_statistic_id -> Nullable<Int4>,
        #[max_length = 32]
        publisher_id -> Nullable<Varchar>,
        source_url -> Nullable<Text>,
        publication_date -> Nullable<Text>,
        note_on_corrections_or_updates -> Nullable<Text>,
        frequency_of_release_id -> Nullable<Int4>,
        frequency_of_release_other -> Nullable<Text>,
        purpose -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    data_source_in_measure_version (data_source_id, measure_version_id) {
        data_source_id -> Int4,
        measure_version_id -> Int4,
        position -> Int2,
    }
}

diesel::table! {
    deploy_file (target, path) {
        target -> Text,
        path -> Text,
        sha256 -> Text,
        size -> Int8,
        content_type -> Text,
        cache_control -> Text,
        pending -> Bool,
    }
}

diesel::table! {
    deploy_target (name) {
        name -> Text,
        fencing -> Int8,
        build_id -> Nullable<Uuid>,
        git_commit -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    dimension (guid) {
        guid -> Uuid,
        measure_version_id -> Int4,
        title -> Text,
        time_period -> Nullable<Text>,
        summary -> Nullable<Text>,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        location -> Nullable<Text>,
    }
}

diesel::table! {
    dimension_categorisation (dimension_guid, classification_id) {
        dimension_guid -> Uuid,
        #[max_length = 16]
        classification_id -> Varchar,
        includes_parents -> Bool,
        includes_all -> Bool,
        includes_unknown -> Bool,
    }
}

diesel::table! {
    dimension_chart (dimension_guid) {
        dimension_guid -> Uuid,
        #[max_length = 16]
        classification_id -> Nullable<Varchar>,
        includes_parents -> Bool,
        includes_all -> Bool,
        includes_unknown -> Bool,
        settings_and_source_data -> Jsonb,
        chart_object -> Jsonb,
    }
}

diesel::table! {
    dimension_table (dimension_guid) {
        dimension_guid -> Uuid,
        #[max_length = 16]
        classification_id -> Nullable<Varchar>,
        includes_parents -> Bool,
        includes_all -> Bool,
        includes_unknown -> Bool,
        settings_and_source_data -> Jsonb,
        table_object -> Jsonb,
    }
}

diesel::table! {
    ethnicity (id) {
        id -> Int4,
        value -> Text,
        position -> Int4,
    }
}

diesel::table! {
    ethnicity_in_classification (classification_id, ethnicity_id) {
        #[max_length = 16]
        classification_id -> Varchar,
        ethnicity_id -> Int4,
    }
}

diesel::table! {
    ethnicity_lookup (raw_value) {
        raw_value -> Text,
        standard_value -> Text,
    }
}

diesel::table! {
    frequency_of_release (id) {
        id -> Int4,
        description -> Text,
        position -> Int4,
    }
}

diesel::table! {
    invalid_user_login_attempt (id) {
        id -> Int8,
        email -> Text,
        ip -> Nullable<Text>,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    lowest_level_of_geography (name) {
        name -> Text,
        description -> Nullable<Text>,
        position -> Int4,
    }
}

diesel::table! {
    measure (id) {
        id -> Int4,
        subtopic_id -> Int4,
        #[max_length = 255]
        slug -> Varchar,
        position -> Int4,
        #[max_length = 32]
        reference -> Nullable<Varchar>,
        retired -> Bool,
        replaced_by_measure_id -> Nullable<Int4>,
    }
}

diesel::table! {
    measure_version (id) {
        id -> Int4,
        measure_id -> Int4,
        version_major -> Int4,
        version_minor -> Int4,
        template_version -> Int2,
        latest -> Bool,
        lock_version -> Int4,
        status -> Text,
        review_token -> Nullable<Text>,
        created_at -> Timestamptz,
        created_by -> Nullable<Text>,
        updated_at -> Timestamptz,
        last_updated_by -> Nullable<Text>,
        published_at -> Nullable<Date>,
        published_by -> Nullable<Text>,
        title -> Text,
        description -> Nullable<Text>,
        summary -> Nullable<Text>,
        need_to_know -> Nullable<Text>,
        measure_summary -> Nullable<Text>,
        ethnicity_definition_summary -> Nullable<Text>,
        area_covered -> Array<Nullable<Text>>,
        time_covered -> Nullable<Text>,
        lowest_level_of_geography_id -> Nullable<Text>,
        external_edit_summary -> Nullable<Text>,
        internal_edit_summary -> Nullable<Text>,
        update_corrects_data_mistake -> Nullable<Bool>,
        update_corrects_measure_version_id -> Nullable<Int4>,
        methodology -> Nullable<Text>,
        suppression_and_disclosure -> Nullable<Text>,
        estimation -> Nullable<Text>,
        related_publications -> Nullable<Text>,
        qmi_url -> Nullable<Text>,
        further_technical_information -> Nullable<Text>,
        review_token_expires_at -> Nullable<Timestamptz>,
        publish_scheduled_at -> Nullable<Timestamptz>,
        publish_scheduled_by -> Nullable<Text>,
    }
}

diesel::table! {
    organisation (id) {
        #[max_length = 32]
        id -> Varchar,
        name -> Text,
        other_names -> Array<Nullable<Text>>,
        abbreviations -> Array<Nullable<Text>>,
        organisation_type -> Text,
        start_date -> Nullable<Text>,
        end_date -> Nullable<Text>,
        parent_ids -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    parent_ethnicity_in_classification (classification_id, ethnicity_id) {
        #[max_length = 16]
        classification_id -> Varchar,
        ethnicity_id -> Int4,
    }
}

diesel::table! {
    recovery_code (id) {
        id -> Int8,
        user_id -> Int4,
        code_hash -> Text,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    redirect (from_uri) {
        from_uri -> Text,
        to_uri -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    scheduled_job (name) {
        name -> Text,
        last_started_at -> Nullable<Timestamptz>,
        last_finished_at -> Nullable<Timestamptz>,
        last_outcome -> Nullable<Text>,
        last_detail -> Nullable<Text>,
    }
}

diesel::table! {
    site_page (id) {
        id -> Int4,
        #[max_length = 200]
        path -> Varchar,
        title -> Text,
        summary -> Nullable<Text>,
        body -> Text,
        published_title -> Nullable<Text>,
        published_summary -> Nullable<Text>,
        published_body -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        published_by -> Nullable<Text>,
        lock_version -> Int4,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    subtopic (id) {
        id -> Int4,
        topic_id -> Int4,
        #[max_length = 64]
        slug -> Varchar,
        title -> Text,
        position -> Int4,
    }
}

diesel::table! {
    topic (id) {
        id -> Int4,
        #[max_length = 64]
        slug -> Varchar,
        title -> Text,
        short_title -> Nullable<Text>,
        description -> Nullable<Text>,
        additional_description -> Nullable<Text>,
        meta_description -> Nullable<Text>,
        position -> Int4,
    }
}

diesel::table! {
    type_of_statistic (id) {
        id -> Int4,
        internal -> Text,
        external -> Text,
        position -> Int4,
    }
}

diesel::table! {
    upload (guid) {
        guid -> Uuid,
        measure_version_id -> Int4,
        title -> Text,
        file_name -> Text,
        description -> Nullable<Text>,
        size_bytes -> Int8,
        scan_status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_measure (user_id, measure_id) {
        user_id -> Int4,
        measure_id -> Int4,
    }
}

diesel::table! {
    user_session (id) {
        id -> Text,
        user_id -> Int4,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        second_factor_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Int4,
        email -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        confirmed_at -> Nullable<Timestamptz>,
        user_type -> Text,
        capabilities -> Array<Nullable<Text>>,
        last_login_at -> Nullable<Timestamptz>,
        current_login_at -> Nullable<Timestamptz>,
        last_login_ip -> Nullable<Text>,
        current_login_ip -> Nullable<Text>,
        login_count -> Int4,
        failed_login_count -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        locked_at -> Nullable<Timestamptz>,
        totp_secret -> Nullable<Bytea>,
        totp_enabled_at -> Nullable<Timestamptz>,
        totp_last_step -> Nullable<Int8>,
    }
}

diesel::joinable!(account_token -> users (user_id));
diesel::joinable!(api_token -> users (user_id));
diesel::joinable!(data_source -> frequency_of_release (frequency_of_release_id));
diesel::joinable!(data_source -> organisation (publisher_id));
diesel::joinable!(data_source -> type_of_statistic (type_of_statistic_id));
diesel::joinable!(data_source_in_measure_version -> data_source (data_source_id));
diesel::joinable!(data_source_in_measure_version -> measure_version (measure_version_id));
diesel::joinable!(deploy_file -> deploy_target (target));
diesel::joinable!(dimension -> measure_version (measure_version_id));
diesel::joinable!(dimension_categorisation -> classification (classification_id));
diesel::joinable!(dimension_categorisation -> dimension (dimension_guid));
diesel::joinable!(dimension_chart -> classification (classification_id));
diesel::joinable!(dimension_chart -> dimension (dimension_guid));
diesel::joinable!(dimension_table -> classification (classification_id));
diesel::joinable!(dimension_table -> dimension (dimension_guid));
diesel::joinable!(ethnicity_in_classification -> classification (classification_id));
diesel::joinable!(ethnicity_in_classification -> ethnicity (ethnicity_id));
diesel::joinable!(measure -> subtopic (subtopic_id));
diesel::joinable!(measure_version -> lowest_level_of_geography (lowest_level_of_geography_id));
diesel::joinable!(measure_version -> measure (measure_id));
diesel::joinable!(parent_ethnicity_in_classification -> classification (classification_id));
diesel::joinable!(parent_ethnicity_in_classification -> ethnicity (ethnicity_id));
diesel::joinable!(recovery_code -> users (user_id));
diesel::joinable!(subtopic -> topic (topic_id));
diesel::joinable!(upload -> measure_version (measure_version_id));
diesel::joinable!(user_measure -> measure (measure_id));
diesel::joinable!(user_measure -> users (user_id));
diesel::joinable!(user_session -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_token,
    api_token,
    audit_event,
    build,
    classification,
    data_source,
    data_source_in_measure_version,
    deploy_file,
    deploy_target,
    dimension,
    dimension_categorisation,
    dimension_chart,
    dimension_table,
    ethnicity,
    ethnicity_in_classification,
    ethnicity_lookup,
    frequency_of_release,
    invalid_user_login_attempt,
    lowest_level_of_geography,
    measure,
    measure_version,
    organisation,
    parent_ethnicity_in_classification,
    recovery_code,
    redirect,
    scheduled_job,
    site_page,
    subtopic,
    topic,
    type_of_statistic,
    upload,
    user_measure,
    user_session,
    users,
);
