//! Skills kept, versioned, listed and deleted.

use super::*;
use crate::files::LocalDir;

const SKILL_MD: &str = "---\nname: greeting\ndescription: \"Greets people the nautical way.\"\n---\n# Greeting\nRun scripts/greet.py NAME.\n";

fn parts() -> Vec<(String, Vec<u8>)> {
    vec![
        ("greeting/SKILL.md".to_owned(), SKILL_MD.as_bytes().to_vec()),
        (
            "greeting/scripts/greet.py".to_owned(),
            b"import sys; print(f'Ahoy, {sys.argv[1]}!')".to_vec(),
        ),
    ]
}

#[test]
fn an_upload_is_checked_as_the_api_checks_it() {
    let bundle = Bundle::from_parts(parts()).unwrap();
    assert_eq!((bundle.directory.as_str(), bundle.name.as_str()), ("greeting", "greeting"));
    assert_eq!(bundle.description, "Greets people the nautical way.");
    assert_eq!(bundle.files[1].0, "scripts/greet.py");
    let refused = |parts: Vec<(&str, &str)>| {
        let parts = parts.into_iter().map(|(p, b)| (p.to_owned(), b.as_bytes().to_vec())).collect();
        Bundle::from_parts(parts).unwrap_err().to_string()
    };
    assert!(refused(vec![("greeting/notes.txt", "x")]).contains("SKILL.md is missing"));
    assert!(refused(vec![("a/SKILL.md", SKILL_MD), ("b/x", "y")]).contains("same folder"));
    assert!(refused(vec![("../SKILL.md", SKILL_MD)]).contains("relative path"));
    assert!(refused(vec![("SKILL.md", SKILL_MD)]).contains("inside the skill's folder"));
    assert!(refused(vec![("g/SKILL.md", "no front matter")]).contains("front matter"));
    let bad_name = "---\nname: Claude_Helper\ndescription: d\n---\n";
    assert!(refused(vec![("g/SKILL.md", bad_name)]).contains("lowercase"));
}

#[test]
fn a_zip_is_unpacked() {
    let mut zipped = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zipped));
        let options = zip::write::SimpleFileOptions::default();
        for (path, bytes) in parts() {
            writer.start_file(path, options).unwrap();
            std::io::Write::write_all(&mut writer, &bytes).unwrap();
        }
        writer.finish().unwrap();
    }
    let bundle = Bundle::from_parts(vec![("greeting.zip".into(), zipped)]).unwrap();
    assert_eq!(bundle.files.len(), 2);
    assert_eq!(bundle.name, "greeting");
}

#[tokio::test]
async fn skills_and_their_versions_are_kept_listed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let skills = Skills::new(Arc::new(LocalDir::new(dir.path())));
    let mut skill =
        skills.create(Some("Greeting".into()), Bundle::from_parts(parts()).unwrap()).await.unwrap();
    assert_eq!((skill.display_name.as_str(), skill.source.kind.as_str()), ("Greeting", "custom"));
    let first = skill.latest_version.clone().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let second =
        skills.add_version(&mut skill, Bundle::from_parts(parts()).unwrap()).await.unwrap();
    assert_eq!(
        skills.get(&skill.id).await.unwrap().unwrap().latest_version,
        Some(second.version.clone())
    );
    let versions = skills.versions(&skill.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version.clone()).collect::<Vec<_>>(),
        [second.version.clone(), first.clone()]
    );
    let latest = skills.version(&skill.id, "latest").await.unwrap().unwrap();
    assert_eq!(latest.version.version, second.version);
    assert_eq!(latest.files.len(), 2);
    let other = skills.create(None, Bundle::from_parts(parts()).unwrap()).await.unwrap();
    let (listed, more) = skills.list(None, 1).await.unwrap();
    assert_eq!((listed[0].id.as_str(), more), (other.id.as_str(), true), "newest first");
    let (rest, more) = skills.list(Some(&other.id), 10).await.unwrap();
    assert_eq!((rest.len(), rest[0].id.as_str(), more), (1, skill.id.as_str(), false));
    assert_eq!(skills.delete(&skill.id).await.unwrap(), Some(false), "versions remain");
    // A version is named by its id or by its number.
    assert_eq!(skills.version(&skill.id, &second.id).await.unwrap().unwrap().version, second);
    assert!(skills.delete_version(&skill.id, &second.id).await.unwrap());
    assert_eq!(skills.get(&skill.id).await.unwrap().unwrap().latest_version, Some(first.clone()));
    assert!(skills.delete_version(&skill.id, &first).await.unwrap());
    assert_eq!(skills.delete(&skill.id).await.unwrap(), Some(true));
    assert_eq!(skills.get(&skill.id).await.unwrap(), None);
}
