"""Word lists the matcher needs: common English words (from wordfreq's frequency lists, plus
words companies and vessels like to be named after: an alias made only of them is not
distinctive), titles that introduce a person ("President Putin"), words that introduce a
vessel or aircraft, and legal forms of companies."""

from __future__ import annotations

from functools import cache

from wordfreq import top_n_list


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


COMMON_WORDS = word_set(
    """
    a about above across act action after again against age ago agency air all almost alone along already also
    although always am america american among an and another any area arms army around art as ask at away back
    bad bank base be bear became because become been before began behind being believe best better between big
    bill black blue board body book both boy bring brother build business but buy by call came can capital car
    care carry case cause center central centre century certain change chief child children city civil class
    clear close cold come commerce common company control cost could country course court create cross culture
    cut dark day dead deal death decide deep defence defense democratic development did die different do does
    dog done door down draw drive during each early east eastern economic edge education effect eight either
    else end energy enough enterprise even evening ever every eye face fact fair fall family far fast father few
    field fight final finance financial find fine fire first five fleet flower fly follow food for force foreign
    forest form four free friend from front full fund future game garden general get gift give global go gold
    golden good great green ground group grow hand happy hard has have he head health hear heart help her here
    high him his history hold home hope horse hot hour house how however human hundred i idea if important in
    include industrial industry information inside interest international into is island it its job join just
    keep key kind king know land large last late law lead leader learn least leave left less let life light like
    line list little live long look lose love low made main major make man management many market may me mean
    media member men middle might military mind minister ministry mission modern money month moon more morning
    most mother mountain move much music must my name nation national natural near need network never new news
    next night nine no north northern not nothing now number ocean of off office often oil old on once one only
    open or order other our out over own pacific page paper part party pass past pay peace people period person
    place plan plant point police political poor popular power president press private problem program project
    public put queen question quite rain reach read ready real reason red region remember report republic
    research resources rest result return right river road rock room rose royal rule run safe said same say
    school sea second security see seem sell send service set seven she ship short should show side sign silver
    since sir six small smart snow so social some something son south southern space special star start state
    stay step still stone stop story street strong student study such summer sun supply support sure system
    table take talk team ten than that the their them then there these they thing think this those three through
    time to today together too top total tower town trade trading transport tree true trust try turn two under
    union unit united up upon us use valley very victory view village voice wait walk wall want war water way we
    well west western what when where which while white who whole why will win wind window winter with within
    without woman women word work world would write year yes yet you young your zero alpha beta delta gamma
    omega sigma nova star sky sunrise sunshine spring hope faith grace glory liberty freedom harmony unity
    spirit vision future prime first best ace eagle falcon lion tiger phoenix dragon pearl diamond crystal ruby
    emerald sapphire coral jade amber lotus jasmine rainbow horizon orient atlantic pacific arctic express
    global general central united universal international
    """
)

# English closed-class words (articles, prepositions, conjunctions, pronouns, auxiliaries): a rule
# term made only of these says nothing to an auditor, so explanations leave it out.
FUNCTION_WORDS = word_set(
    """
    a an the and or nor but if then than as so to of in on at by for from with without within into onto upon
    over under about above below across after before against among around along between beyond during
    through throughout toward towards via per near off out up down amid despite except including is are was
    were be been being am has have had do does did will would shall should can could may might must it its
    he she they them their his her we us our you your i me my this that these those which who whom whose
    what there here not no
    """
)

TITLE_WORDS = word_set(
    """
    president presidents premier chancellor minister ministers leader leaders chairman chairwoman chair general
    gen marshal colonel col admiral commander lieutenant lt major maj captain capt sergeant sgt secretary
    director governor senator ambassador envoy spokesman spokeswoman spokesperson king queen prince princess
    emir sheikh ayatollah cleric dictator tycoon oligarch businessman businesswoman billionaire magnate warlord
    militant official officials deputy mayor judge general commissioner chief head boss founder owner ceo
    """
)

VESSEL_WORDS = word_set(
    """
    vessel vessels tanker tankers ship ships mv freighter carrier barge tug yacht trawler boat aircraft
    plane jet airliner helicopter flight imo
    """
)

LEGAL_FORMS = word_set(
    """
    llc ltd limited jsc ojsc pjsc cjsc ooo oao zao ao pao inc co corp corporation company gmbh sa plc fze fzco
    llp lp ag bv nv srl spa sarl sas ltda pte pvt fzc fzllc est establishment
    """
)


@cache
def common_words(top: int) -> frozenset[str]:
    """The `top` most frequent English words (wordfreq), plus COMMON_WORDS."""
    return frozenset(top_n_list("en", top)) | COMMON_WORDS

# Words next to an organisation's short name that make it the organisation ("Wagner fighters").
ORG_CONTEXT = word_set(
    """
    group groups mercenary mercenaries fighters fighter chief chiefs boss founder leader leaders head troops
    forces force militia militias soldiers units unit army paramilitary paramilitaries contractors company
    pmc members member commander commanders mutiny rebellion operatives network
    """
)
